import difflib
import functools
import re
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.automatic_speech_recognition import (
    pause_cuts,
    group_words,
    pipeline_kwargs,
    prepare,
    present,
    segments,
    to_srt,
    to_vtt,
    window_count,
)

TASK = "automatic-speech-recognition"
SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
CHARACTERS = list("abcdefghijklmnopqrstuvwxyz'")
WHISPER_LANGUAGES = ("en", "fr", "de", "es")  # the tiny test Whisper's languages


def build_tiny(folder):
    import json

    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(["<pad>", "<unk>", "|", *CHARACTERS])}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=False)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, pad_token_id=0, ctc_loss_reduction="mean",
    )
    torch.manual_seed(5)  # the same weights whatever was built before: the format tests compare transcripts
    save(folder, Wav2Vec2ForCTC(config), Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer))


def build_tiny_whisper(folder, english_only=False):
    """A 1+1-layer Whisper with a BPE tokenizer trained here, its special and timestamp tokens, and a generation config
    (English-only: as the *.en checkpoints', with no languages or tasks and `is_multilingual` false)."""
    import json

    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    from runtime.tiny import CORPUS

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    trained = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]]
    tokenizer = WhisperTokenizer(vocab=trained["vocab"], merges=merges, model_max_length=448)
    languages = [f"<|{code}|>" for code in WHISPER_LANGUAGES]
    tokenizer.add_special_tokens({"additional_special_tokens": [
        "<|startoftranscript|>", *languages, "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
        "<|nospeech|>", "<|notimestamps|>",
    ]})
    # timestamp tokens come right after the last special token and are not special themselves (as in Whisper)
    tokenizer.add_tokens([AddedToken(f"<|{i * 0.02:.2f}|>", normalized=False, special=False) for i in range(1501)])
    ids = tokenizer.convert_tokens_to_ids
    eos, start = ids("<|endoftext|>"), ids("<|startoftranscript|>")
    config = WhisperConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37, num_mel_bins=80, max_source_positions=1500,
        max_target_positions=64, pad_token_id=eos, bos_token_id=eos, eos_token_id=eos, decoder_start_token_id=start,
        begin_suppress_tokens=None, suppress_tokens=None,
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        max_new_tokens=8,  # random weights never say end-of-text: keep generation short
        decoder_start_token_id=start, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
        no_timestamps_token_id=ids("<|notimestamps|>"), prev_sot_token_id=ids("<|startofprev|>"),
        max_initial_timestamp_index=50, alignment_heads=[[0, 0], [0, 1]], begin_suppress_tokens=[eos],
        suppress_tokens=[], return_timestamps=False, is_multilingual=not english_only,
        **({} if english_only else {
            "lang_to_id": {token: ids(token) for token in languages},
            "task_to_id": {"transcribe": ids("<|transcribe|>"), "translate": ids("<|translate|>")}}),
    )
    save(folder, model, WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tokenizer))


TINY = (TinyModel("tiny-wav2vec2-ctc", build_tiny), TinyModel("tiny-whisper", build_tiny_whisper),
        TinyModel("tiny-whisper-en", functools.partial(build_tiny_whisper, english_only=True)))


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """A strict SRT reader: numbered cues from 1, 'start --> end' with comma millis, text, blank line between."""
    cues = []
    for number, block in enumerate(text.strip("\n").split("\n\n"), 1):
        lines = block.split("\n")
        assert lines[0] == str(number), f"cue {number} is numbered {lines[0]!r}"
        m = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", lines[1])
        assert m, f"bad timing line {lines[1]!r}"
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        start, end = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert 0 <= start <= end
        assert len(lines) >= 3 and all(lines[2:]), f"cue {number} has no text"
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


def table_rows(table) -> list:
    return table["data"] if isinstance(table, dict) else table


def ask(predict, model, audio, timestamps="segments", chunk=30, stride=5, language="", task="transcribe",
        long_audio="pauses") -> dict:
    return predict(TASK, model=model, audio=handle_file(audio), timestamps=timestamps, chunk_length_s=chunk,
                   long_audio=long_audio, stride_s=stride, language=language, whisper_task=task)


# --- adapters, no model ---

def test_prepare_decodes_to_mono_float_at_file_rate(tmp_path):
    rate = 44100
    t = np.arange(rate) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1) * 0.5
    sf.write(tmp_path / "stereo.wav", stereo, rate)
    call = prepare(audio=str(tmp_path / "stereo.wav"))
    assert call.inputs["sampling_rate"] == rate
    assert call.inputs["raw"].dtype == np.float32 and call.inputs["raw"].shape == (rate,)
    assert "chunk_length_s" not in call.kwargs  # one second: no chunking


def test_prepare_chunks_only_audio_longer_than_a_chunk(tmp_path):
    sf.write(tmp_path / "long.wav", np.random.default_rng(0).uniform(-0.3, 0.3, 16000 * 40).astype(np.float32), 16000)
    call = prepare(audio=str(tmp_path / "long.wav"), timestamps="words", chunk_length_s=30, long_audio="windows",
                   stride_s=5)
    assert call.kwargs["chunk_length_s"] == 30 and call.kwargs["stride_length_s"] == 5
    at_pauses = prepare(audio=str(tmp_path / "long.wav"), timestamps="words", chunk_length_s=30, stride_s=5)
    assert at_pauses.kwargs["pieces_s"] == 15 and "chunk_length_s" not in at_pauses.kwargs  # the default
    never = prepare(audio=str(tmp_path / "long.wav"), timestamps="words", chunk_length_s=0, stride_s=5)
    assert "chunk_length_s" not in never.kwargs  # 0 = never


def test_prepare_refuses_missing_silent_audio_and_bad_stride(tmp_path):
    with pytest.raises(UserError, match="Add some audio"):
        prepare(audio=None)
    sf.write(tmp_path / "silence.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(UserError, match="silent"):
        prepare(audio=str(tmp_path / "silence.wav"))
    with pytest.raises(UserError, match="stride"):
        prepare(audio="assets/speech_short.wav", timestamps="segments", chunk_length_s=10, long_audio="windows",
                stride_s=5)


def test_window_count_matches_the_pipelines_chunking():
    assert window_count(25, 30, 5) == 1
    assert window_count(120, 30, 5) == 6  # windows start at 0, 20, 40, 60, 80, 100 s
    assert window_count(600, 30, 5) == 30


def test_whisper_options_apply_to_whisper_only():
    ctc = SimpleNamespace(type="ctc", model=None)
    kwargs, applied, notes = pipeline_kwargs(ctc, {"timestamps": "segments", "language": "fr", "task": "translate"})
    assert kwargs == {"return_timestamps": "word"} and "generate_kwargs" not in kwargs
    assert "Whisper-class models only" in notes[0]
    whisper = SimpleNamespace(type="seq2seq_whisper", model=SimpleNamespace(
        generation_config=SimpleNamespace(alignment_heads=None, lang_to_id={"<|fr|>": 5})))
    kwargs, applied, notes = pipeline_kwargs(whisper, {"timestamps": "words", "language": "fr", "task": "translate"})
    assert kwargs["generate_kwargs"] == {"task": "translate", "language": "fr"}
    assert kwargs["return_timestamps"] is True and applied["timestamps"] == "segments"  # no alignment heads
    assert "no alignment heads" in notes[0]
    with pytest.raises(UserError, match="does not know the language 'ja'"):
        pipeline_kwargs(whisper, {"timestamps": "none", "language": "ja", "task": "transcribe"})


def test_an_english_only_whisper_gets_no_task_or_language():
    english = SimpleNamespace(type="seq2seq_whisper", model=SimpleNamespace(
        generation_config=SimpleNamespace(alignment_heads=None, is_multilingual=False)))
    kwargs, applied, notes = pipeline_kwargs(english, {"timestamps": "none", "language": "", "task": "transcribe"})
    assert "generate_kwargs" not in kwargs and notes == [] and applied["language"] == "en"
    kwargs, applied, notes = pipeline_kwargs(english, {"timestamps": "none", "language": "fr", "task": "translate"})
    assert "generate_kwargs" not in kwargs and applied["task"] == "transcribe" and "English-only" in notes[0]


def test_ctc_words_group_into_segments_at_pauses():
    words = [(0.0, 0.4, "hello"), (0.5, 0.9, "world"), (2.5, 2.9, "again"), (3.0, 3.2, "")]
    assert group_words(words) == [(0.0, 0.9, "hello world"), (2.5, 2.9, "again")]
    result = {"text": "hello world again", "chunks": [{"text": w, "timestamp": (s, e)} for s, e, w in words],
              "applied": {"timestamps": "segments", "model_kind": "CTC"}, "seconds": 3.5}
    assert segments(result) == [(0.0, 0.9, "hello world"), (2.5, 2.9, "again")]


def test_segments_close_open_ends_and_stay_inside_the_audio():
    result = {"text": "a b", "chunks": [{"text": " a", "timestamp": (0.5, 9.0)}, {"text": "b ", "timestamp": (9.0, None)}],
              "applied": {"timestamps": "segments", "model_kind": "Whisper"}, "seconds": 4.0}
    assert segments(result) == [(0.5, 4.0, "a"), (4.0, 4.0, "b")]


def test_srt_and_vtt_are_well_formed():
    rows = [(0.0, 1.5, "hello"), (61.25, 3723.004, "world")]
    srt = to_srt(rows)
    assert parse_srt(srt) == [(0.0, 1.5, "hello"), (61.25, 3723.004, "world")]
    assert "00:01:01,250 --> 01:02:03,004" in srt
    vtt = to_vtt(rows)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nhello\n")


def test_present_returns_transcript_table_files_and_notes_and_writes_no_file(tmp_path, monkeypatch):
    result = {"text": " hi there ", "chunks": [{"text": "hi there", "timestamp": (0.0, 1.0)}],
              "applied": {"timestamps": "segments", "model_kind": "Whisper"}, "seconds": 2.0, "notes": ["n."]}
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a file written anyway would land
    shown = present(result, audio="x.wav", timestamps="segments")
    assert list(shown) == ["transcript", "table", "srt", "vtt", "notes"]
    assert shown["transcript"] == "hi there" and shown["table"] == [[0.0, 1.0, "hi there"]] and shown["notes"] == "n."
    assert shown["srt"].name == "transcript.srt" and parse_srt(shown["srt"].text) == [(0.0, 1.0, "hi there")]
    assert shown["vtt"].name == "transcript.vtt" and shown["vtt"].text.startswith("WEBVTT")
    assert not any(tmp_path.iterdir())  # the web layer writes the files; present() wrote none
    none = present({"text": "x", "applied": {"timestamps": "none"}})
    assert (none["srt"], none["vtt"]) == (None, None)


# --- end to end through the app API on tiny real pipelines ---

def test_end_to_end_ctc_segments_table_and_srt(predict, tiny, asset):
    out = ask(predict, tiny(TASK), asset("speech_short.wav"))
    text, table, srt, vtt = out["transcript"], out["table"], out["srt"], out["vtt"]
    raw, status = out["raw"], out["status"]
    assert isinstance(text, str) and text == raw["text"].strip()
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz' <unk>")  # the tiny model's own vocabulary
    assert "tiny-wav2vec2-ctc" in status and "cpu" in status
    assert raw["applied"] == {"model_kind": "CTC", "timestamps": "segments"}
    rows = table_rows(table)
    cues = parse_srt(open(srt).read())
    assert len(cues) == len(rows) >= 1
    assert all(0 <= start <= end <= raw["seconds"] + 1e-3 for start, end, _ in cues)
    assert [c[2] for c in cues] == [r[2] for r in rows]
    assert open(vtt).read().startswith("WEBVTT")


def test_end_to_end_ctc_word_timestamps(predict, tiny, asset):
    out = ask(predict, tiny(TASK), asset("speech_short.wav"), "words")
    rows = table_rows(out["table"])
    assert [r[2] for r in rows] == out["transcript"].split()  # one row per word, in order
    starts = [r[0] for r in rows]
    assert starts == sorted(starts)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def test_end_to_end_same_clip_in_every_format(predict, tiny, asset, tmp_path):
    model = tiny(TASK)
    reference = ask(predict, model, asset("speech_short.wav"), "none")["transcript"]
    transcripts = {}
    for fmt, args in {"flac": [], "ogg": ["-q:a", "10"], "mp3": ["-b:a", "320k"], "m4a": ["-b:a", "256k"]}.items():
        path = tmp_path / f"speech.{fmt}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", asset("speech_short.wav"), *args, str(path)],
                       check=True)
        transcripts[fmt] = ask(predict, model, str(path), "none")["transcript"]
    assert transcripts["flac"] == reference  # lossless: exactly the same
    # Lossy codecs change the samples a little, and a random-weight CTC model flips a few frames where two
    # letters score alike; the transcript must still be that clip's, far closer than another sound's.
    other = ask(predict, model, asset("chirp.wav"), "none")["transcript"]
    for fmt in ("ogg", "mp3", "m4a"):
        assert similarity(transcripts[fmt], reference) > max(0.6, similarity(other, reference) + 0.2), fmt


def test_end_to_end_whisper_same_transcript_in_every_format(predict, tiny, asset, tmp_path):
    model = tiny(TASK, "tiny-whisper")
    reference = ask(predict, model, asset("speech_short.wav"), "segments")
    for fmt in ("flac", "ogg", "mp3"):
        path = tmp_path / f"speech.{fmt}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", asset("speech_short.wav"), str(path)],
                       check=True)
        got = ask(predict, model, str(path), "segments")
        assert got["transcript"] == reference["transcript"], fmt
        assert table_rows(got["table"]) == table_rows(reference["table"]), fmt


def test_end_to_end_44k_stereo_is_resampled(predict, tiny, tmp_path):
    rate = 44100
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, (rate * 2, 2)).astype(np.float32)
    sf.write(tmp_path / "stereo44k.wav", noise, rate)
    raw = ask(predict, tiny(TASK), str(tmp_path / "stereo44k.wav"))["raw"]
    assert isinstance(raw["text"], str) and abs(raw["seconds"] - 2.0) < 0.01  # resampled, same duration


def test_end_to_end_two_minutes_go_through_the_chunked_path(predict, tiny, asset, tmp_path):
    speech, rate = sf.read(asset("speech_long.ogg"), dtype="float32")
    clip = np.tile(speech, int(np.ceil(120 * rate / speech.size)))[: 120 * rate]
    sf.write(tmp_path / "two_minutes.flac", clip, rate)
    out = ask(predict, tiny(TASK), str(tmp_path / "two_minutes.flac"), "segments", 30, 5, long_audio="windows")
    srt, raw = out["srt"], out["raw"]
    assert raw["applied"]["chunk_length_s"] == 30 and raw["applied"]["windows"] == 6
    cues = parse_srt(open(srt).read())
    assert len(raw["chunks"]) >= 6 and len(cues) >= 2  # several timestamped words, from several windows
    assert cues[-1][1] > 100  # timestamps run on across the windows, to the end
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)


def speech_with_pauses(rate=16000, bursts=15, seed=0):
    """A minute or so of 'phrases' (noise bursts of 2-3 s, like speech's loudness) with 0.6-1.2 s pauses between:
    (samples, [(start, end) of each phrase in seconds])."""
    rng = np.random.default_rng(seed)
    parts, phrases, at = [], [], 0.0
    for _ in range(bursts):
        pause, length = rng.uniform(0.6, 1.2), rng.uniform(2.0, 3.0)
        parts += [np.zeros(int(pause * rate), np.float32), rng.uniform(-0.4, 0.4, int(length * rate)).astype(np.float32)]
        phrases.append((at + pause, at + pause + length))
        at += pause + length
    return np.concatenate([*parts, np.zeros(rate // 2, np.float32)]), phrases


def test_long_audio_is_cut_in_pauses_never_inside_a_phrase_and_nothing_is_dropped():
    samples, phrases = speech_with_pauses()
    cuts = pause_cuts(samples, 16000, 10)
    assert cuts[0][0] == 0 and cuts[-1][1] == samples.size
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))  # end to end: no gap, no overlap
    assert all(end - start <= 10 * 16000 for start, end in cuts)
    for _, cut in cuts[:-1]:
        assert not any(start < cut / 16000 < end for start, end in phrases), f"cut at {cut / 16000:.2f} s in a phrase"
    assert len(cuts) >= 5
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, 16000 * 25).astype(np.float32)  # no pause at all
    assert [b - a for a, b in pause_cuts(noise, 16000, 10)][:2] and max(b - a for a, b in pause_cuts(noise, 16000, 10)) <= 160000


def test_end_to_end_long_audio_cut_at_pauses_agrees_with_its_tables(predict, tiny, tmp_path):
    """Each piece transcribed whole: the transcript is the pieces' texts, and the segment table's rows, moved to
    where each piece starts, run in order inside the audio."""
    samples, phrases = speech_with_pauses()
    sf.write(tmp_path / "phrases.wav", samples, 16000)
    for model in (tiny(TASK), tiny(TASK, "tiny-whisper")):
        out = ask(predict, model, str(tmp_path / "phrases.wav"), "segments", 10)
        raw, rows = out["raw"], table_rows(out["table"])
        pieces = raw["applied"]["pieces"]
        assert raw["applied"]["long_audio"] == "pauses" and len(pieces) >= 5 and pieces[-1][1] == raw["seconds"]
        assert out["transcript"] == raw["text"].strip()
        starts = [row[0] for row in rows]
        assert starts == sorted(starts) and all(0 <= row[0] <= row[1] <= raw["seconds"] for row in rows)
        assert " ".join(row[2] for row in rows).split() == " ".join(c["text"].strip() for c in raw["chunks"]).split()


def test_end_to_end_whisper_language_translate_and_word_timestamps(predict, tiny, asset):
    model = tiny(TASK, "tiny-whisper")
    out = ask(predict, model, asset("speech_short.wav"), "words", 30, 5, "fr", "translate")
    table, notes, raw, status = out["table"], out["notes"], out["raw"], out["status"]
    assert raw["applied"] == {"model_kind": "Whisper", "timestamps": "words", "language": "fr", "task": "translate"}
    assert notes == "" and "tiny-whisper" in status
    assert all(0 <= r[0] <= r[1] <= raw["seconds"] + 0.01 for r in table_rows(table)), (table, raw)
    # the same options on a CTC model are accepted, ignored, and said so
    out = ask(predict, tiny(TASK), asset("speech_short.wav"), "none", 30, 5, "fr", "translate")
    notes, raw = out["notes"], out["raw"]
    assert "ignored" in notes and "generate_kwargs" not in raw["applied"]


def test_end_to_end_english_only_whisper_transcribes_and_says_the_settings_do_not_apply(predict, tiny, asset):
    """*.en checkpoints refuse any task or language in generate: the tab sends none, and says what it ignored."""
    english = tiny(TASK, "tiny-whisper-en")
    out = ask(predict, english, asset("speech_short.wav"), "words")
    assert isinstance(out["transcript"], str) and out["notes"] == "" and "tiny-whisper-en" in out["status"]
    assert out["raw"]["applied"] == {"model_kind": "Whisper", "timestamps": "words", "language": "en",
                                     "task": "transcribe"}
    out = ask(predict, english, asset("speech_short.wav"), "segments", 30, 5, "fr", "translate")
    assert "English-only" in out["notes"] and "ignored" in out["notes"] and isinstance(out["transcript"], str)
    multilingual = ask(predict, tiny(TASK, "tiny-whisper"), asset("speech_short.wav"), "none", 30, 5, "de", "translate")
    assert multilingual["raw"]["applied"]["language"] == "de" and multilingual["notes"] == ""  # still sent


def test_end_to_end_bad_inputs_get_a_sentence_and_the_next_request_works(predict, tiny, asset, tmp_path):
    from gradio_client.exceptions import AppError

    whisper = tiny(TASK, "tiny-whisper")
    with pytest.raises(AppError, match="does not know the language 'ja'"):
        ask(predict, whisper, asset("speech_short.wav"), "none", 30, 5, "ja")
    (tmp_path / "notes.mp3").write_text("not audio at all")
    with pytest.raises(AppError, match="not audio this app can read"):
        ask(predict, tiny(TASK), str(tmp_path / "notes.mp3"))
    assert isinstance(ask(predict, whisper, asset("speech_short.wav"), "none")["transcript"], str)
