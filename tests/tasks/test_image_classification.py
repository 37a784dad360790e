import pytest
from PIL import Image

from runtime.errors import UserError
from tasks.image_classification import LABELS, prepare, present


def test_prepare_gives_rgb_image_and_top_k(asset):
    call = prepare(asset("chelsea.jpg"), 2)
    assert call.inputs.mode == "RGB" and call.inputs.size == (451, 300)
    assert call.kwargs == {"top_k": 2}


def test_prepare_refuses_missing_and_non_images(tmp_path):
    with pytest.raises(UserError, match="Add an image"):
        prepare(None, 2)
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    with pytest.raises(UserError, match="not an image"):
        prepare(str(bogus), 2)


def test_present_maps_labels_to_scores():
    assert present([{"label": "cat", "score": 0.7}]) == ({"cat": 0.7},)


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "CMYK"])
def test_end_to_end_any_colour_mode(client, tiny, tmp_path, asset, mode):
    path = tmp_path / f"chelsea-{mode}.{'jpg' if mode == 'CMYK' else 'png'}"
    Image.open(asset("chelsea.jpg")).convert(mode).save(path)
    label, raw, status = client.predict(tiny("image-classification"), path_for(path), 3, api_name="/image_classification")
    assert len(label["confidences"]) == 3
    assert {c["label"] for c in label["confidences"]} <= set(LABELS)
    assert 0 < sum(c["confidence"] for c in label["confidences"]) <= 1.0 + 1e-6
    assert "tiny-vit" in status and "cpu" in status


def path_for(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def test_end_to_end_bad_images_are_refused_then_next_request_works(client, tiny, tmp_path, asset):
    from tests.tasks._vision_checks import assert_bad_images_refused

    label, _, _ = assert_bad_images_refused(client, tiny("image-classification"), "/image_classification", tmp_path,
                                            asset, 2)
    assert len(label["confidences"]) == 2
