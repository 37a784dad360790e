"""Vision-language chat: talk about images with a VLM, the answer streamed token by token."""

import base64
import contextlib
import io

from runtime.errors import UserError
from runtime.media import load_image
from runtime.remote import chat_stream, generation_settings
from runtime.spec import Call, Limits, Task
from tasks._chat import path_of, present, sampling, stream_answer, to_template


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
    return Call(chat, {"max_new_tokens": int(max_new_tokens), **sampling(temperature, top_p)})


def run(pipe, call, progress=None):
    """The answer streamed (see `stream_answer`)."""
    yield from stream_answer(pipe, call.inputs, call.kwargs)


def snippet(context) -> str:
    """Plain transformers: the chat with its images read from their files, the answer only."""
    from runtime.snippets import literal, load_lines, render

    setup: list[str] = []
    chat = render(context.call.inputs, list(context.files), setup)
    settings = "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in context.call.kwargs.items()) + "}"
    return "\n".join([
        "import torch", *(["from PIL import Image, ImageOps"] if setup else []), "from transformers import pipeline", "",
        *load_lines(context), *setup, f"messages = {chat}",
        f"result = pipe(messages, generate_kwargs={settings}, return_full_text=False)", "print(result)"]) + "\n"


def remote(model, call, progress=None):
    """A vision-language model served elsewhere: the chat, images as data URLs, through its OpenAI-compatible chat."""
    with contextlib.closing(chat_stream(model, call.inputs, call.kwargs)) as texts:
        for text in texts:
            yield {"generated_text": text}


def serve(pipe, messages, parameters):
    """Endpoint mode's OpenAI chat (web/endpoint.py): images arrive as data URLs; the answer so far, piece by piece."""
    chat = [{"role": m["role"], "content": template_blocks(m["content"])} for m in messages]
    with contextlib.closing(stream_answer(pipe, chat, generation_settings(parameters))) as texts:
        for text in texts:
            yield text["generated_text"]


def template_blocks(content) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content:
        if part.get("type") == "text":
            blocks.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "image_url":
            url = part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
            if not url.startswith("data:"):
                raise UserError("Send images as data URLs; this server fetches no web addresses.")
            blocks.append({"type": "image", "image": load_image(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))})
    return blocks


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
    snippet=snippet,
    remote=remote,
    serve=serve,
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
