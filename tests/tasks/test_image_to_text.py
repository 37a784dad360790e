import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks._vision import with_input
from tasks.image_to_text import prepare, present

from tests.tasks._vision_checks import assert_bad_images_refused


def build_tiny_blip(folder):
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    tokenizer = wordpiece_tokenizer(model_max_length=64)
    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in
           (("bos", "[CLS]"), ("sep", "[SEP]"), ("pad", "[PAD]"))}
    text = dict(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=37, max_position_embeddings=64, encoder_hidden_size=32,
                bos_token_id=ids["bos"], sep_token_id=ids["sep"], pad_token_id=ids["pad"], eos_token_id=ids["sep"])
    vision = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=37)
    config = BlipConfig(text_config=text, vision_config=vision, projection_dim=32)
    model = BlipForConditionalGeneration(config)
    model.generation_config.max_new_tokens = 8  # random weights never stop on their own
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    save(folder, model, processor)


TINY = (TinyModel("tiny-blip", build_tiny_blip),)


def test_prepare_strips_prompt_and_checks_length(asset):
    call = prepare(image=asset("rocket.jpg"), prompt="  a photograph of ", max_new_tokens=12)
    assert call.kwargs == {"text": "a photograph of", "max_new_tokens": 12}
    assert prepare(image=asset("rocket.jpg"), prompt=None, max_new_tokens=5).kwargs["text"] == ""
    with pytest.raises(UserError, match="between 1 and 100"):
        prepare(image=asset("rocket.jpg"), prompt="", max_new_tokens=0)


def test_present_takes_the_generated_text():
    result = with_input(None, [{"input_text": "", "generated_text": " a cat on a bed "}])
    assert present(result, image="cat.jpg", prompt="", max_new_tokens=30) == {"caption": "a cat on a bed"}


def test_end_to_end_caption_through_image_text_to_text(predict, tiny, asset):
    out = predict("image-to-text", model=tiny("image-to-text"), image=handle_file(asset("chelsea.jpg")), prompt="",
                  max_new_tokens=6)
    caption, raw, status = out["caption"], out["raw"], out["status"]
    assert isinstance(caption, str) and caption == raw["output"][0]["generated_text"].strip()
    assert raw["output"][0]["input_text"] == ""
    assert "tiny-blip" in status


def test_end_to_end_prompt_starts_the_caption(predict, tiny, asset):
    caption = predict("image-to-text", model=tiny("image-to-text"), image=handle_file(asset("rocket.jpg")),
                      prompt="a photograph of", max_new_tokens=4)["caption"]
    assert caption.startswith("a photograph of")
    assert len(caption.split()) <= 3 + 4  # the prompt and at most 4 new word pieces


def test_bad_input_is_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    with pytest.raises(AppError, match="greater than maximum value 100"):  # gradio checks the slider's range
        predict("image-to-text", model=tiny("image-to-text"), image=handle_file(asset("rocket.jpg")), prompt="",
                max_new_tokens=500)
    out = assert_bad_images_refused(predict, "image-to-text", tmp_path, asset, model=tiny("image-to-text"), prompt="",
                                    max_new_tokens=3)
    assert isinstance(out["caption"], str)
