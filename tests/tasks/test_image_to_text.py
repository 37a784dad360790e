import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from tasks._vision import with_input
from tasks.image_to_text import prepare, present

from tests.tasks._vision_checks import assert_bad_images_refused


def test_prepare_strips_prompt_and_checks_length(asset):
    call = prepare(asset("rocket.jpg"), "  a photograph of ", 12)
    assert call.kwargs == {"text": "a photograph of", "max_new_tokens": 12}
    assert prepare(asset("rocket.jpg"), None, 5).kwargs["text"] == ""
    with pytest.raises(UserError, match="between 1 and 100"):
        prepare(asset("rocket.jpg"), "", 0)


def test_present_takes_the_generated_text():
    assert present(with_input(None, [{"input_text": "", "generated_text": " a cat on a bed "}])) == ("a cat on a bed",)


def test_end_to_end_caption_through_image_text_to_text(client, tiny, asset):
    caption, raw, status = client.predict(
        tiny("image-to-text"), handle_file(asset("chelsea.jpg")), "", 6, api_name="/image_to_text")
    assert isinstance(caption, str) and caption == raw["output"][0]["generated_text"].strip()
    assert raw["output"][0]["input_text"] == ""
    assert "tiny-blip" in status


def test_end_to_end_prompt_starts_the_caption(client, tiny, asset):
    caption, raw, _ = client.predict(
        tiny("image-to-text"), handle_file(asset("rocket.jpg")), "a photograph of", 4, api_name="/image_to_text")
    assert caption.startswith("a photograph of")
    assert len(caption.split()) <= 3 + 4  # the prompt and at most 4 new word pieces


def test_bad_input_is_refused_then_next_request_works(client, tiny, tmp_path, asset):
    with pytest.raises(AppError, match="greater than maximum value 100"):  # gradio checks the slider's range
        client.predict(tiny("image-to-text"), handle_file(asset("rocket.jpg")), "", 500, api_name="/image_to_text")
    caption, _, _ = assert_bad_images_refused(client, tiny("image-to-text"), "/image_to_text", tmp_path, asset, "", 3)
    assert isinstance(caption, str)
