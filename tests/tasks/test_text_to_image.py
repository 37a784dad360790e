import pytest
from PIL import Image

from runtime.config import ModelChoice
from runtime.devices import DeviceManager
from runtime.errors import UserError
from tasks.text_to_image import TASK, load, prepare, present, run

API = "/text_to_image"


def test_prepare_collects_the_generation_settings():
    call = prepare(" a red rocket ", " blurry ", 3, 7.5, 42, 256, 128)
    assert call.inputs == "a red rocket"
    assert call.kwargs == {
        "negative_prompt": "blurry", "num_inference_steps": 3, "guidance_scale": 7.5, "width": 256, "height": 128,
        "seed": 42,
    }
    assert prepare("x", "", seed=-1).kwargs["seed"] >= 0  # a random seed, but a real one shown in the raw output


def test_prepare_refuses_empty_prompt_and_odd_sizes():
    with pytest.raises(UserError, match="Describe the picture"):
        prepare("  ")
    with pytest.raises(UserError, match="multiples of 8"):
        prepare("a cat", width=100)


def test_present_shows_the_first_image():
    image = Image.new("RGB", (8, 8))
    assert present({"images": [image], "seed": 1}) == (image,)


def test_progress_reports_every_denoising_step(tiny):
    pipe = load(TASK, ModelChoice(tiny("text-to-image")), DeviceManager("cpu").placement())
    seen = []
    result = run(pipe, prepare("a cat", "", 3, 2.0, 1, 64, 64), progress=lambda value, **kw: seen.append(value))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert result["images"][0].size == (64, 64)


def test_end_to_end_size_and_seed(client, tiny):
    def draw(seed):
        return client.predict(tiny("text-to-image"), "a cat astronaut", "", 2, 3.0, seed, 64, 128, api_name=API)

    image, raw, status = draw(7)
    picture = Image.open(image)
    assert picture.size == (64, 128) and picture.mode == "RGB"
    assert raw["seed"] == 7 and raw["images"] == [{"image": [64, 128], "mode": "RGB"}]
    assert "tiny-stable-diffusion" in status
    again, _, _ = draw(7)
    other, _, _ = draw(8)
    assert list(Image.open(again).getdata()) == list(picture.getdata())  # a seed makes the same picture again
    assert list(Image.open(other).getdata()) != list(picture.getdata())


def test_bad_input_then_next_request_works(client, tiny):
    with pytest.raises(Exception, match="Describe the picture"):
        client.predict(tiny("text-to-image"), "", "", 1, 0.0, 0, 64, 64, api_name=API)
    image, _, _ = client.predict(tiny("text-to-image"), "a cup", "", 1, 0.0, 0, 64, 64, api_name=API)
    assert Image.open(image).size == (64, 64)


def test_tab_is_left_out_with_one_log_line_without_diffusers(monkeypatch, caplog):
    import importlib.util

    import tasks

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "diffusers" else real(name, *a))
    with caplog.at_level("WARNING", logger="tasks"):
        registry = tasks.discover()
    assert "text-to-image" not in registry
    assert registry.left_out["text-to-image"] == "needs the 'diffusers' package"
    assert [r.getMessage() for r in caplog.records if "Text to image" in r.getMessage()] == [
        "Leaving out the Text to image tab: needs the 'diffusers' package."
    ]
