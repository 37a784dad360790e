import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from tasks._vision import with_input
from tasks.image_to_text import prepare, present

from tests.tasks._vision_checks import assert_bad_images_refused


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
