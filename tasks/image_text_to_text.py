"""Vision-language chat: talk about images with a VLM, the answer streamed token by token."""

import contextlib

from runtime.errors import UserError
from runtime.spec import Call, Limits, Task
from tasks._chat import path_of, shown_turn, to_template


def inputs():
    import gradio as gr

    return {
        "message": gr.MultimodalTextbox(
            label="Message", file_types=["image"], file_count="multiple", sources=["upload"],
            placeholder="Add an image and ask about it…", elem_id="image-text-to-text-message",
        ),
    }


def params():
    import gradio as gr

    return {
        "max_new_tokens": gr.Slider(1, 1024, value=128, step=1, label="Max new tokens",
                                    elem_id="image-text-to-text-max-new-tokens"),
        "temperature": gr.Slider(0.0, 2.0, value=0.0, step=0.05, label="Temperature (0: greedy)",
                                 elem_id="image-text-to-text-temperature"),
        "top_p": gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top p", elem_id="image-text-to-text-top-p"),
    }


def outputs():
    return {}  # the answer streams into the conversation itself (the app's)


def prepare(message, max_new_tokens=128, temperature=0.0, top_p=1.0, history=None, limits=Limits()):
    """Gradio's messages (content blocks with file paths) -> the chat template's (image and text blocks)."""
    text, files = (message or {}).get("text", "").strip(), (message or {}).get("files") or []
    if not text and not files:
        raise UserError("Type a message, or add an image and ask about it.")
    chat = [to_template(turn["role"], turn["content"], limits) for turn in history or []]
    chat.append(to_template("user", [*({"type": "file", "file": {"path": path_of(f)}} for f in files), text], limits))
    sampling = {"do_sample": False}
    if temperature > 0:
        sampling = {"do_sample": True, "temperature": float(temperature), "top_p": float(top_p)}
    return Call(chat, {"max_new_tokens": int(max_new_tokens), **sampling})


def run(pipe, call, progress=None):
    """Streams {"generated_text": answer so far}; closing it (Stop) closes the token stream, which ends generation."""
    from runtime.streaming import stream_text

    def generate(chat, **settings):  # image-text-to-text takes generation settings only inside generate_kwargs
        return pipe(chat, generate_kwargs=settings)

    texts = stream_text(generate, call.inputs, call.kwargs, tokenizer=pipe.processor.tokenizer)
    with contextlib.closing(texts):
        for text in texts:
            yield {"generated_text": text}  # a dict: the raw JSON view reads a bare string as JSON text


def present(result, message, history=None, **_):
    turns = [{"role": "user", "content": shown_turn(message)}, {"role": "assistant", "content": result["generated_text"]}]
    return {"history": [*(history or []), *turns]}


TASK = Task(
    name="image-text-to-text",
    title="Image chat",
    modality="Multimodal",
    models=(
        "HuggingFaceTB/SmolVLM-256M-Instruct",
        "HuggingFaceTB/SmolVLM-500M-Instruct",
        "Qwen/Qwen2.5-VL-3B-Instruct",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    streams=True,
    conversation=True,
    examples=(
        {"message": {"text": "What is in this picture?", "files": ["assets/chelsea.jpg"]}},
        {"message": {"text": "Describe this photo in one sentence.", "files": ["assets/astronaut.jpg"]}},
    ),
    description=(
        "Vision-language chat models: add images to the conversation and ask about them; the answer streams in."
    ),
)
