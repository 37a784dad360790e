import pytest
from PIL import Image

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.image_classification import prepare, present

LABELS = ("cat", "dog", "astronaut", "rocket", "coffee cup")


def build_tiny(folder):
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)},
    )
    processor = ViTImageProcessor(size={"height": 32, "width": 32})
    save(folder, ViTForImageClassification(config), processor)


TINY = (TinyModel("tiny-vit", build_tiny),)


def test_prepare_gives_rgb_image_and_top_k(asset):
    call = prepare(image=asset("chelsea.jpg"), top_k=2)
    assert call.inputs.mode == "RGB" and call.inputs.size == (451, 300)
    assert call.kwargs == {"top_k": 2}


def test_prepare_refuses_missing_and_non_images(tmp_path):
    with pytest.raises(UserError, match="Add an image"):
        prepare(image=None, top_k=2)
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    with pytest.raises(UserError, match="not an image"):
        prepare(image=str(bogus), top_k=2)


def test_present_maps_labels_to_scores():
    assert present([{"label": "cat", "score": 0.7}], image="x.png", top_k=1) == {"labels": {"cat": 0.7}}


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "CMYK"])
def test_end_to_end_any_colour_mode(predict, tiny, tmp_path, asset, mode):
    path = tmp_path / f"chelsea-{mode}.{'jpg' if mode == 'CMYK' else 'png'}"
    Image.open(asset("chelsea.jpg")).convert(mode).save(path)
    out = predict("image-classification", model=tiny("image-classification"), image=path_for(path), top_k=3)
    label, status = out["labels"], out["status"]
    assert len(label["confidences"]) == 3
    assert {c["label"] for c in label["confidences"]} <= set(LABELS)
    assert 0 < sum(c["confidence"] for c in label["confidences"]) <= 1.0 + 1e-6
    assert "tiny-vit" in status and "cpu" in status


def path_for(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def test_end_to_end_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    from tests.tasks._vision_checks import assert_bad_images_refused

    out = assert_bad_images_refused(predict, "image-classification", tmp_path, asset,
                                    model=tiny("image-classification"), top_k=2)
    assert len(out["labels"]["confidences"]) == 2
