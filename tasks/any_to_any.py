"""Omni chat (any-to-any): one conversation mixing text, images, audio and video, the answer streamed as text."""

from runtime.errors import UserError
from runtime.spec import Call, Limits, Task
from tasks._chat import at_rate, path_of, present, sampling, stream_answer, to_template

TAKES = ("image", "audio", "video")


def inputs():
    import gradio as gr

    return {
        "message": gr.MultimodalTextbox(
            label="Message", file_types=["image", "audio", "video"], file_count="multiple",
            sources=["upload", "microphone"], elem_id="any-to-any-message",
            placeholder="Add images, audio or a video (or record), and ask about them…",
        ),
    }


def params():
    import gradio as gr

    return {
        "system": gr.Textbox(value="", label="System prompt (optional)", lines=1, elem_id="any-to-any-system"),
        "max_new_tokens": gr.Slider(1, 1024, value=128, step=1, label="Max new tokens", elem_id="any-to-any-max-new-tokens"),
        "temperature": gr.Slider(0.0, 2.0, value=0.0, step=0.05, label="Temperature (0: greedy)",
                                 elem_id="any-to-any-temperature"),
        "top_p": gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top p", elem_id="any-to-any-top-p"),
    }


def outputs():
    return {}  # the answer streams into the conversation itself (the app's)


def prepare(message, system="", max_new_tokens=128, temperature=0.0, top_p=1.0, history=None, limits=Limits()):
    """Gradio's messages (content blocks with file paths) -> the chat template's (image, audio, video, text blocks)."""
    text, files = (message or {}).get("text", "").strip(), (message or {}).get("files") or []
    if not text and not files:
        raise UserError("Type a message, or add an image, a recording or a video and ask about it.")
    chat = [{"role": "system", "content": [{"type": "text", "text": system.strip()}]}] if (system or "").strip() else []
    chat += [to_template(turn["role"], turn["content"], limits, TAKES) for turn in history or []]
    parts = [*({"type": "file", "file": {"path": path_of(f)}} for f in files), text]
    chat.append(to_template("user", parts, limits, TAKES))
    return Call(chat, {"max_new_tokens": int(max_new_tokens), **sampling(temperature, top_p)})


def run(pipe, call, progress=None):
    """The answer streamed (see `stream_answer`), once the model is known to read every kind of file given."""
    takes = set(getattr(pipe.model, "input_modalities", ("text", *TAKES)))
    given = {part["type"] for turn in call.inputs for part in turn["content"]} - {"text"}
    if given - takes:
        raise UserError(f"This model reads {', '.join(sorted(takes))}; it cannot take {', '.join(sorted(given - takes))}. "
                        "Pick an omni model, or leave those files out.")
    rate = getattr(getattr(pipe.processor, "feature_extractor", None), "sampling_rate", 16_000)
    yield from stream_answer(pipe, at_rate(call.inputs, rate), call.kwargs)


def snippet(context) -> str:
    """Plain transformers: the chat with its files read as the app reads them (images; audio at the processor's
    rate; a video's evenly spread frames, decoded with PyAV), the answer only."""
    import os

    from runtime.snippets import _Code, literal, load_lines, read_audio, render, resample_lines, written
    from tasks._chat import VIDEO_FRAMES
    from tasks.video_classification import count_frames

    files, setup, imports = list(context.files), [], ["from transformers import pipeline"]
    rate_of = "getattr(getattr(pipe.processor, 'feature_extractor', None), 'sampling_rate', 16000)"

    def block(part):
        kind = part.get("type")
        if kind == "image" and files:
            return {"type": "image", "image": _Code(render(part["image"], files, setup))}
        if kind == "audio" and files:
            name = f"audio{sum(' = soundfile.read(' in s for s in setup) or ''}"
            setup.extend([*read_audio(files.pop(0), name), *resample_lines(name, rate_of)])
            imports[:0] = ["import soundfile"]
            return {"type": "audio", "audio": _Code(name)}
        if kind == "video" and files:
            path = files.pop(0)
            total = count_frames(path)
            name = f"video{sum(s.startswith('video =') for s in setup) or ''}"
            setup.extend([
                (f"picks = numpy.linspace(0, {total} - 1, {VIDEO_FRAMES}).round().astype(int).tolist()  # spread "
                 f"over the clip's {total} frames"),
                f"with av.open({os.path.basename(path)!r}) as container:",
                "    frames = [f.to_ndarray(format='rgb24') for i, f in enumerate(container.decode(video=0)) if i in picks]",
                f"{name} = numpy.stack(frames + frames[-1:] * ({VIDEO_FRAMES} - len(frames)))"])
            imports[:0] = ["import av", "import numpy"]
            return {"type": "video", "video": _Code(name)}
        return part

    chat = [{**turn, "content": [block(part) for part in turn["content"]]} for turn in context.call.inputs]
    settings = "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in context.call.kwargs.items()) + "}"
    return written([*load_lines(context), *setup, f"messages = {chat!r}",
                    f"result = pipe(messages, generate_kwargs={settings}, return_full_text=False)", "print(result)"],
                   setup, imports)


TASK = Task(
    name="any-to-any",
    title="Omni chat",
    modality="Multimodal",
    models=(
        "google/gemma-3n-E2B-it",
        "Qwen/Qwen2.5-Omni-3B",
        "google/gemma-3n-E4B-it",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    streams=True,
    conversation=True,
    requires=("av",),  # videos are decoded with PyAV (transformers' own decoder would need torchcodec)
    examples=(
        {"message": {"text": "What is in this picture?", "files": ["assets/chelsea.jpg"]}},
        {"message": {"text": "What does the speaker say?", "files": ["assets/speech_short.wav"]}},
        {"message": {"text": "What happens in this clip?", "files": ["assets/rocket.mp4"]}},
    ),
    description=(
        "Omni models (Gemma 3n, Qwen2.5-Omni): one conversation with images, audio and video; the answer streams in."
    ),
)
