"""Speech recognition: audio from the microphone or a file in, its transcript with timestamps and subtitles out."""

from runtime.errors import UserError
from runtime.media import load_audio, resample
from runtime.remote import wire
from runtime.spec import Call, Download, Limits, Task

TIMESTAMPS = ("none", "segments", "words")
LONG_AUDIO = ("pauses", "windows")
PAUSE_FRAME_S = 0.02  # loudness is measured per 20 ms frame
PAUSE_MIN_S = 0.2  # a cut goes in the middle of a quiet stretch at least this long
PIECE_S = 15.0  # pieces cut at pauses are at most this long (or the chunk length): on 15 phrases said with pauses,
# Whisper tiny.en heard 15 in pieces of up to 15 s, but 29 (repeats, a loop) in pieces of up to 30 s
LANGUAGES = (  # (label, Whisper language code); "" lets Whisper detect it
    ("Detect automatically", ""), ("English", "en"), ("French", "fr"), ("German", "de"), ("Spanish", "es"),
    ("Italian", "it"), ("Portuguese", "pt"), ("Dutch", "nl"), ("Polish", "pl"), ("Russian", "ru"),
    ("Chinese", "zh"), ("Japanese", "ja"), ("Korean", "ko"), ("Arabic", "ar"), ("Hindi", "hi"), ("Turkish", "tr"),
)
SEGMENT_GAP_S = 0.8  # CTC models give words only: a pause this long starts a new subtitle segment
SEGMENT_MAX_S = 8.0


def inputs():
    import gradio as gr

    return {
        "audio": gr.Audio(
            label="Audio", type="filepath", sources=["upload", "microphone"],
            elem_id="automatic-speech-recognition-audio",
        )
    }


def params():
    import gradio as gr

    return {
        "timestamps": gr.Radio(
            list(TIMESTAMPS), value="segments", label="Timestamps", elem_id="automatic-speech-recognition-timestamps",
            info="Words: Whisper with alignment heads, or CTC models (wav2vec2)",
        ),
        "chunk_length_s": gr.Slider(
            0, 30, value=30, step=1, label="Chunk length (s)", elem_id="automatic-speech-recognition-chunk-length",
            info="Longer audio is cut into pieces of at most this length, so memory stays flat; 0 = never",
        ),
        "long_audio": gr.Radio(
            list(LONG_AUDIO), value="pauses", label="Cut long audio", elem_id="automatic-speech-recognition-long-audio",
            info="pauses: at silences, each piece transcribed whole (nothing lost at a seam); "
                 "windows: transformers' overlapping windows (the stride below)",
        ),
        "stride_s": gr.Slider(
            0, 10, value=5, step=0.5, label="Stride (s, windows only)", elem_id="automatic-speech-recognition-stride",
            info="Overlap each window shares with its neighbours on both sides",
        ),
        "language": gr.Dropdown(
            [(label, code) for label, code in LANGUAGES], value="", label="Language (Whisper models only)",
            elem_id="automatic-speech-recognition-language",
        ),
        "whisper_task": gr.Radio(
            ["transcribe", "translate"], value="transcribe", label="Task (Whisper models only)",
            elem_id="automatic-speech-recognition-whisper-task", info="translate: into English",
        ),
    }


def outputs():
    import gradio as gr

    return {
        "transcript": gr.Textbox(label="Transcript", lines=6, buttons=["copy"],
                                 elem_id="automatic-speech-recognition-text"),
        "table": gr.Dataframe(
            headers=["start", "end", "text"], label="Timestamps", interactive=False,
            elem_id="automatic-speech-recognition-table",
        ),
        # buttons, not file boxes: nothing to show before a run takes no room (two 250 px drop zones did)
        "srt": gr.DownloadButton("Subtitles (SRT)", size="sm", elem_id="automatic-speech-recognition-srt"),
        "vtt": gr.DownloadButton("Subtitles (VTT)", size="sm", elem_id="automatic-speech-recognition-vtt"),
        "notes": gr.Markdown(elem_id="automatic-speech-recognition-notes"),
    }


def prepare(audio, timestamps="segments", chunk_length_s=30, long_audio="pauses", stride_s=5, language="",
            whisper_task="transcribe", limits=Limits()):
    samples, rate = load_audio(audio, limits.max_audio_seconds)
    if timestamps not in TIMESTAMPS:
        raise UserError(f"Timestamps must be one of {', '.join(TIMESTAMPS)}.")
    if long_audio not in LONG_AUDIO:
        raise UserError(f"Long audio is cut at {' or '.join(LONG_AUDIO)}.")
    if whisper_task not in ("transcribe", "translate"):
        raise UserError("The task must be 'transcribe' or 'translate'.")
    chunk_length_s, stride_s = float(chunk_length_s or 0), float(stride_s or 0)
    if chunk_length_s and long_audio == "windows" and 2 * stride_s >= chunk_length_s:
        raise UserError(f"The stride ({stride_s:g} s on each side) must be under half the chunk length "
                        f"({chunk_length_s:g} s).")
    seconds = samples.size / rate
    kwargs = {"timestamps": timestamps, "language": (language or "").strip(), "task": whisper_task}
    if chunk_length_s and long_audio == "pauses" and seconds > min(chunk_length_s, PIECE_S):  # short: one piece
        kwargs.update(pieces_s=min(chunk_length_s, PIECE_S))
    elif chunk_length_s and seconds > chunk_length_s:
        kwargs.update(chunk_length_s=chunk_length_s, stride_length_s=stride_s)
    return Call({"raw": samples, "sampling_rate": rate}, kwargs)


def run(pipe, call, progress=None):
    """Resamples to the model's rate here (transformers would need torchaudio), then applies what the model supports."""
    target = pipe.feature_extractor.sampling_rate
    audio = call.inputs
    samples = resample(audio["raw"], audio["sampling_rate"], target)
    kwargs, applied, notes = pipeline_kwargs(pipe, call.kwargs)
    try:
        if call.kwargs.get("pieces_s"):  # cut at pauses: each piece whole, its timestamps moved to where it starts
            cuts = pause_cuts(samples, target, call.kwargs["pieces_s"])
            applied.update(long_audio="pauses", pieces=[[round(a / target, 3), round(b / target, 3)] for a, b in cuts])
            parts = []
            for number, (begin, end) in enumerate(cuts):
                if progress is not None:
                    progress((number, len(cuts)), desc="Transcribing", unit="pieces")
                parts.append((begin / target, end / target,
                              pipe({"raw": samples[begin:end], "sampling_rate": target}, **kwargs)))
            result = joined(parts)
        else:
            result = pipe({"raw": samples, "sampling_rate": target}, **kwargs)
    except ValueError as error:
        if "language" in str(error).lower():
            raise UserError(f"This model cannot use that language setting: {error}") from error
        raise
    if applied.get("chunk_length_s"):
        applied["windows"] = window_count(samples.size / target, applied["chunk_length_s"], applied["stride_length_s"])
    return {**result, "seconds": round(samples.size / target, 3), "applied": applied, "notes": notes}


def remote(model, call, progress=None):
    """A speech model served elsewhere: the whole recording in one request, timestamps asked as the protocol names
    them; the server decides how to read long audio."""
    stamps = call.kwargs["timestamps"]
    extra = {"return_timestamps": "word" if stamps == "words" else True} if stamps != "none" else {}
    generate = {k: call.kwargs[k] for k in ("language", "task") if call.kwargs.get(k) and call.kwargs[k] != "transcribe"}
    if generate:
        extra["generate_kwargs"] = generate
    audio = call.inputs
    seconds = round(audio["raw"].size / audio["sampling_rate"], 3)
    if model.openai:  # an OpenAI-compatible engine: its own transcription route, text only
        notes = ["This model server's transcription protocol gives no timestamps."] if stamps != "none" else []
        return {**model.transcription(wire(audio)), "seconds": seconds, "applied": {"timestamps": "none"},
                "notes": notes}
    result = model(audio, extra_body=extra or None)
    return {**result, "seconds": seconds, "applied": {"timestamps": stamps, "remote": True}, "notes": []}


def serve(pipe, audio, parameters):
    """Endpoint mode: the tab's own reading of the recording (cut at pauses, timestamps as the model kind gives
    them), answered as the Inference API does: {"text", "chunks": [{"timestamp": [start, end], "text"}]}."""
    stamps = parameters.get("return_timestamps")
    generate = parameters.get("generate_kwargs") or {}
    call = prepare((audio["sampling_rate"], audio["raw"]), timestamps="words" if stamps in ("word", "char") else
                   "segments" if stamps else "none", language=generate.get("language", ""),
                   whisper_task=generate.get("task", "transcribe"))
    result = run(pipe, call)
    chunks = [{"timestamp": [start, end], "text": text} for start, end, text in segments(result)]
    return {"text": result["text"], **({"chunks": chunks} if stamps else {})}


def pause_cuts(samples, rate: int, longest_s: float) -> list[tuple[int, int]]:
    """(start, end) sample ranges of at most `longest_s` seconds, cut in the middle of the quietest pauses: the
    latest pause (a stretch of PAUSE_MIN_S under a loudness floor) before the limit, else the quietest moment of the
    piece's second half. Nothing is dropped: the pieces cover the audio end to end."""
    import numpy as np

    frame = max(1, int(rate * PAUSE_FRAME_S))
    count = samples.size // frame
    loudness = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1)) if count else np.zeros(0)
    floor = max(1e-4, 0.1 * float(np.percentile(loudness, 90))) if count else 1e-4
    quiet = loudness < floor
    run = int(PAUSE_MIN_S / PAUSE_FRAME_S)
    pauses, start = [], None  # the middle frame of each quiet stretch long enough
    for index, silent in enumerate([*quiet, False]):
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            if index - start >= run:
                pauses.append((start + index) // 2)
            start = None
    longest, cuts, begin = int(longest_s * rate), [], 0
    while samples.size - begin > longest:
        limit = (begin + longest) // frame
        inside = [p for p in pauses if begin // frame < p <= limit]
        if inside:
            cut = inside[-1] * frame
        else:  # no pause: the quietest frame of the second half of the piece
            low = (begin + longest // 2) // frame
            cut = (low + int(np.argmin(loudness[low:limit]))) * frame if limit > low else begin + longest
        cut = min(max(cut, begin + frame), begin + longest)
        cuts.append((begin, cut))
        begin = cut
    return [*cuts, (begin, samples.size)]


def joined(parts) -> dict:
    """One result from the pieces' results ((start, end) in seconds, result): the text joined, the timestamps moved
    to where each piece starts (and kept inside it)."""
    chunks = []
    for begin, finish, result in parts:
        for chunk in result.get("chunks") or []:
            start, end = chunk["timestamp"]
            start = min(begin + (start or 0.0), finish)
            end = finish if end is None else min(max(begin + end, start), finish)
            chunks.append({**chunk, "timestamp": (round(start, 3), round(end, 3))})
    text = " ".join(result["text"].strip() for *_, result in parts if result["text"].strip())
    return {"text": text, **({"chunks": chunks} if any("chunks" in result for *_, result in parts) else {})}


def pipeline_kwargs(pipe, options: dict) -> tuple[dict, dict, list[str]]:
    """(pipeline kwargs, what was applied, notes on what was not): the UI cannot know the model when it is built."""
    whisper = pipe.type == "seq2seq_whisper"
    kind = "Whisper" if whisper else {"ctc": "CTC", "ctc_with_lm": "CTC", "seq2seq": "encoder-decoder"}.get(pipe.type, pipe.type)
    kwargs, notes = {}, []
    applied = {"model_kind": kind}
    if options.get("chunk_length_s"):
        kwargs.update(chunk_length_s=options["chunk_length_s"], stride_length_s=options["stride_length_s"])
        applied.update(chunk_length_s=options["chunk_length_s"], stride_length_s=options["stride_length_s"])
        if whisper or pipe.type == "seq2seq":
            kwargs["ignore_warning"] = True  # the chunked seq2seq caveat is stated in the README
    wanted = options.get("timestamps", "none")
    if wanted != "none":
        if pipe.type in ("ctc", "ctc_with_lm"):
            kwargs["return_timestamps"] = "word"  # CTC knows words; segments are grouped from them in present
        elif whisper:
            if wanted == "words" and not getattr(pipe.model.generation_config, "alignment_heads", None):
                notes.append("This Whisper model has no alignment heads, so it gives segment timestamps, not words.")
                wanted = "segments"
            kwargs["return_timestamps"] = "word" if wanted == "words" else True
        else:
            notes.append(f"{kind} models give no timestamps; only the transcript is shown.")
            wanted = "none"
    applied["timestamps"] = wanted
    language, task = options.get("language", ""), options.get("task", "transcribe")
    english_only = whisper and not getattr(pipe.model.generation_config, "is_multilingual", True)  # *.en checkpoints
    if english_only:
        if language not in ("", "en") or task != "transcribe":  # their generate refuses any task or language
            notes.append("This Whisper model is English-only: it transcribes English speech, so the language and "
                         "task settings were ignored.")
        applied.update(language="en", task="transcribe")
    elif whisper:
        generate = {"task": task}
        if language:
            known = getattr(pipe.model.generation_config, "lang_to_id", None) or {}
            if f"<|{language}|>" not in known:
                raise UserError(f"This Whisper model does not know the language '{language}'.")
            generate["language"] = language
        kwargs["generate_kwargs"] = generate
        applied.update(language=language or "detected", task=task)
    elif language or task != "transcribe":
        notes.append(f"Language and translate apply to Whisper-class models only; this is a {kind} model, "
                     "so they were ignored.")
    return kwargs, applied, notes


def snippet(context) -> str:
    """Plain transformers: the file read and resampled as `run` does, then the pipeline with the options `run` gives
    this model (worked out here from its config). Audio cut at pauses keeps the generic snippet (the app's cutting)."""
    from types import SimpleNamespace

    from transformers import AutoConfig, GenerationConfig

    from runtime.snippets import generic, literal, load_lines, read_audio, resample_lines

    if not context.files or context.call.kwargs.get("pieces_s"):
        return generic(context)
    where = {"revision": context.revision, "trust_remote_code": context.trust_remote_code}
    try:  # the run loaded the model: its config is at hand
        config = AutoConfig.from_pretrained(context.model, **where)
        whisper = config.model_type == "whisper"
        generation = GenerationConfig.from_pretrained(context.model, **where) if whisper else None
    except Exception:  # noqa: BLE001 - no config at hand: the generic snippet still says how
        return generic(context)
    kind = "seq2seq_whisper" if whisper else "seq2seq" if config.is_encoder_decoder else "ctc"
    try:
        kwargs, *_ = pipeline_kwargs(SimpleNamespace(type=kind, model=SimpleNamespace(generation_config=generation)),
                                     context.call.kwargs)
    except UserError:
        return generic(context)
    written = "".join(f", {k}={literal(v)}" for k, v in kwargs.items())
    return "\n".join([
        "import soundfile", "import torch", "from transformers import pipeline", "",
        *load_lines(context), *read_audio(context.files[0]), *resample_lines(),
        f"result = pipe({{'raw': audio, 'sampling_rate': target}}{written})", "print(result)"]) + "\n"


def window_count(seconds: float, chunk_s: float, stride_s: float) -> int:
    """How many windows the pipeline's chunking cuts `seconds` of audio into (as transformers' chunk_iter does)."""
    step = chunk_s - 2 * stride_s
    count, start = 0, 0.0
    while True:
        count += 1
        if start + chunk_s >= seconds:
            return count
        start += step


def present(result, **_):
    rows = segments(result)
    notes = " ".join(result.get("notes", []))
    srt = Download("transcript.srt", to_srt(rows)) if rows else None
    vtt = Download("transcript.vtt", to_vtt(rows)) if rows else None
    table = [[round(start, 2), round(end, 2), text] for start, end, text in rows]
    return {"transcript": result["text"].strip(), "table": table, "srt": srt, "vtt": vtt, "notes": notes}


def segments(result: dict) -> list[tuple[float, float, str]]:
    """(start, end, text) rows: Whisper's chunks as they are, CTC words grouped into segments at pauses."""
    applied = result.get("applied", {})
    mode = applied.get("timestamps", "none")
    seconds = result.get("seconds")
    rows = []
    for chunk in result.get("chunks") or []:
        start, end = chunk["timestamp"]
        start = float(start or 0.0)
        end = float(end) if end is not None else (seconds if seconds is not None else start)
        if seconds is not None:  # random or confused models may point past the end of the audio
            start, end = min(start, seconds), min(end, seconds)
        rows.append((start, max(start, end), chunk["text"].strip()))
    if mode == "segments" and applied.get("model_kind") == "CTC":
        rows = group_words(rows)
    return [row for row in rows if row[2]]


def group_words(words, gap=SEGMENT_GAP_S, longest=SEGMENT_MAX_S):
    """Words -> subtitle segments, cut at pauses longer than `gap` or when a segment would pass `longest` seconds."""
    grouped = []
    for start, end, text in words:
        if not text:
            continue
        if grouped and start - grouped[-1][1] <= gap and end - grouped[-1][0] <= longest:
            first, _, said = grouped[-1]
            grouped[-1] = (first, end, f"{said} {text}")
        else:
            grouped.append((start, end, text))
    return grouped


def clock(seconds: float, separator: str) -> str:
    """00:01:02,345 (SRT) or 00:01:02.345 (VTT)."""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(rows) -> str:
    return "\n".join(
        f"{i}\n{clock(start, ',')} --> {clock(end, ',')}\n{text}\n" for i, (start, end, text) in enumerate(rows, 1)
    )


def to_vtt(rows) -> str:
    cues = "\n".join(f"{clock(start, '.')} --> {clock(end, '.')}\n{text}\n" for start, end, text in rows)
    return f"WEBVTT\n\n{cues}"


TASK = Task(
    name="automatic-speech-recognition",
    title="Speech recognition",
    modality="Audio",
    models=("openai/whisper-tiny", "openai/whisper-base", "facebook/wav2vec2-base-960h"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    examples=({"audio": "assets/speech_short.wav"}, {"audio": "assets/speech_long.ogg"}),
    description=(
        "Whisper and wav2vec2-class recognisers: what was said, when, as a table and as SRT/VTT subtitles. "
        "Long audio is cut at pauses. Language and translate apply to multilingual Whisper models only."
    ),
)
