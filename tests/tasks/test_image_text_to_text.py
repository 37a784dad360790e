import threading
import time

import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, save
from tasks.image_text_to_text import prepare, present, run

API = "/image_text_to_text"
TINY_CHAT_TEMPLATE = (  # ChatML with an <image> placeholder per image block, as LLaVA-style processors expect
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}<image>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


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
        max_new_tokens=20, suppress_tokens=[tokenizer.eos_token_id],  # random weights would end at a random token
    )
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = LlavaProcessor(
        image_processor=images, tokenizer=tokenizer, patch_size=8, vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # the CLS token, which "default" then drops again
        chat_template=TINY_CHAT_TEMPLATE,
    )
    save(folder, model, processor)


TINY = (TinyModel("tiny-llava", build_tiny),)


def workers():
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def test_prepare_turns_gradio_messages_into_template_blocks(asset):
    history = [
        {
            "role": "user",
            "content": [
                {"type": "file", "file": {"path": asset("chelsea.jpg")}},
                {"type": "text", "text": "What is it?"},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
    ]
    call = prepare({"text": " And this? ", "files": [asset("coffee.jpg")]}, 64, 0.0, 1.0, history=history)
    blocks = [[b["type"] for b in turn["content"]] for turn in call.inputs]
    assert blocks == [["image", "text"], ["text"], ["image", "text"]]
    assert [turn["role"] for turn in call.inputs] == ["user", "assistant", "user"]
    assert call.inputs[0]["content"][0]["image"].mode == "RGB"
    assert call.inputs[2]["content"][1] == {"type": "text", "text": "And this?"}
    assert call.kwargs == {"max_new_tokens": 64, "do_sample": False}
    sampled = prepare({"text": "hi", "files": []}, 8, 0.7, 0.9).kwargs
    assert sampled == {"max_new_tokens": 8, "do_sample": True, "temperature": 0.7, "top_p": 0.9}


def test_prepare_refuses_empty_messages_and_non_images(tmp_path):
    with pytest.raises(UserError, match="Type a message"):
        prepare({"text": "  ", "files": []})
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UserError, match="not an image"):
        prepare({"text": "read this", "files": [str(notes)]})


def test_present_appends_the_turn_and_the_growing_answer(asset):
    history = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    chat = present({"generated_text": "A ca"}, message={"text": "What is it?", "files": [asset("chelsea.jpg")]},
                   history=history)["history"]
    assert chat[:1] == history
    assert chat[1] == {"role": "user", "content": [{"path": asset("chelsea.jpg")}, "What is it?"]}
    assert chat[2] == {"role": "assistant", "content": "A ca"}


def test_closing_the_stream_stops_generation(tiny, asset):
    from transformers import pipeline

    pipe = pipeline("image-text-to-text", model=tiny("image-text-to-text"))
    stream = run(pipe, prepare({"text": "Describe it", "files": [asset("chelsea.jpg")]}, 1024))
    first = next(stream)
    assert isinstance(first["generated_text"], str) and workers()
    stream.close()  # what gradio does on Stop
    assert not workers()


def test_end_to_end_two_turns_with_an_image(predict, tiny, asset):
    model = tiny("image-text-to-text")
    message = {"text": "What is in this picture?", "files": [handle_file(asset("chelsea.jpg"))]}
    out = predict("image-text-to-text", model=model, message=message, max_new_tokens=12)
    chat, raw, status = out["history"], out["raw"], out["status"]
    assert [turn["role"] for turn in chat] == ["user", "assistant"]
    assert any(part.get("type") == "file" for part in chat[0]["content"])  # the image stays in the conversation
    same = lambda text: " ".join(text.split())  # noqa: E731  (the chatbot expands tabs the random model may write)
    assert same(chat[1]["content"][0]["text"]) == same(raw["generated_text"])
    assert "tiny-llava" in status
    for part in chat[0]["content"]:  # the client hands files back as local paths: send them as files again
        if part["type"] == "file":
            part["file"] = handle_file(part["file"])
    chat2 = predict("image-text-to-text", model=model, message={"text": "And now?", "files": []}, max_new_tokens=8,
                    temperature=0.7, top_p=0.9, history=chat)["history"]
    assert [turn["role"] for turn in chat2] == ["user", "assistant", "user", "assistant"]


def test_end_to_end_streams_and_cancel_stops_generation(client, predict, named, tiny, asset):
    message = {"text": "Tell me a long story about it", "files": [handle_file(asset("astronaut.jpg"))]}
    job = client.submit(model=tiny("image-text-to-text"), message=message, max_new_tokens=1024, api_name=API)
    deadline = time.monotonic() + 60
    while len(job.outputs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    partial = [named("image-text-to-text", out)["raw"]["generated_text"] for out in job.outputs()]
    assert len(partial) >= 3 and all(b.startswith(a) for a, b in zip(partial, partial[1:]))  # the answer grows
    assert workers()  # still generating
    job.cancel()
    deadline = time.monotonic() + 10  # far less than the 20 s an abandoned stream would take
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers()
    chat = predict("image-text-to-text", model=tiny("image-text-to-text"), message={"text": "hi", "files": []},
                   max_new_tokens=4)["history"]
    assert chat[-1]["role"] == "assistant"  # the next request works


def test_empty_message_is_a_clear_error(predict, tiny):
    with pytest.raises(Exception, match="Type a message"):
        predict("image-text-to-text", model=tiny("image-text-to-text"), message={"text": "", "files": []})
