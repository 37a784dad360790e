"""Vision-language chat: talk about images with a VLM, the answer streamed token by token."""

import contextlib

import gradio as gr

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import bpe_tokenizer, save

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
TINY_CHAT_TEMPLATE = (  # ChatML with an <image> placeholder per image block, as LLaVA-style processors expect
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}<image>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def inputs():
    return {
        "message": gr.MultimodalTextbox(
            label="Message", file_types=["image"], file_count="multiple", sources=["upload"],
            placeholder="Add an image and ask about it…", elem_id="image-text-to-text-message",
        ),
    }


def params():
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


def to_template(role: str, content, limits: Limits) -> dict:
    blocks = []
    for part in content if isinstance(content, list) else [content]:
        if isinstance(part, str):
            part = {"type": "text", "text": part}
        if part.get("type") == "text" and part["text"].strip():
            blocks.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "file":
            path = path_of(part["file"])
            if not path.lower().endswith(IMAGE_SUFFIXES):
                raise UserError(f"{path.rsplit('/', 1)[-1]} is not an image; this chat takes images and text.")
            blocks.append({"type": "image", "image": load_image(path, limits.max_image_side)})
    return {"role": role, "content": blocks}


def path_of(file) -> str:
    return file if isinstance(file, str) else file["path"]


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
    answer = result["generated_text"]
    files = (message or {}).get("files") or []
    question = [*({"path": path_of(f)} for f in files), *([message["text"]] if message.get("text") else [])]
    return {"history": [*(history or []), {"role": "user", "content": question}, {"role": "assistant", "content": answer}]}


def build_tiny(folder):
    """A tiny LLaVA: CLIP vision tower (32 px, 8 px patches) + 2-layer Llama, with a chat template and <image>."""
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        GenerationConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    tokenizer = bpe_tokenizer(model_max_length=2048)
    tokenizer.add_tokens(["<image>", "<|im_start|>", "<|im_end|>"], special_tokens=True)
    vision = CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=2048, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    config = LlavaConfig(
        vision_config=vision, text_config=text, image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default", vision_feature_layer=-1,
    )
    model = LlavaForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        max_new_tokens=20,
    )
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = LlavaProcessor(
        image_processor=images, tokenizer=tokenizer, patch_size=8, vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # the CLS token, which "default" then drops again
        chat_template=TINY_CHAT_TEMPLATE,
    )
    save(folder, model, processor)


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
    tiny=(TinyModel("tiny-llava", build_tiny),),
    description=(
        "Vision-language chat models: add images to the conversation and ask about them; the answer streams in."
    ),
)
