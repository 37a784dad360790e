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
