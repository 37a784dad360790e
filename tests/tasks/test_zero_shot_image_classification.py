import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, save
from tasks._vision import with_input
from tasks.zero_shot_image_classification import prepare, present

from tests.tasks._tiny_helpers import text_and_vision_configs
from tests.tasks._vision_checks import assert_bad_images_refused


def build_tiny_clip(folder):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    tokenizer = bpe_tokenizer(model_max_length=64)
    text, vision = text_and_vision_configs(tokenizer)
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=32)
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    save(folder, CLIPModel(config), tokenizer, processor)


TINY = (TinyModel("tiny-clip", build_tiny_clip),)


def test_prepare_splits_labels_and_keeps_template(asset):
    call = prepare(image=asset("chelsea.jpg"), candidate_labels=" cat, dog,, cat , a rocket ",
                   hypothesis_template="a photo of {}")
    assert call.kwargs == {"candidate_labels": ["cat", "dog", "a rocket"], "hypothesis_template": "a photo of {}"}
    assert prepare(image=asset("chelsea.jpg"), candidate_labels="cat, dog",
                   hypothesis_template="  ").kwargs["hypothesis_template"] == "This is a photo of {}."


@pytest.mark.parametrize("labels, template, message", [
    ("", "{}", "at least one label"), ("cat", "{}", "at least two labels"), ("cat, dog", "a photo", "exactly one {}"),
])
def test_prepare_refuses_unusable_labels_and_templates(asset, labels, template, message):
    with pytest.raises(UserError, match=message):
        prepare(image=asset("chelsea.jpg"), candidate_labels=labels, hypothesis_template=template)


def test_present_maps_labels_to_scores():
    result = with_input(None, [{"label": "a cat", "score": 0.8}, {"label": "a dog", "score": 0.2}])
    assert present(result, image="x.png", candidate_labels="a cat, a dog") == {"labels": {"a cat": 0.8, "a dog": 0.2}}


def test_end_to_end_ranks_exactly_the_given_labels(predict, tiny, asset):
    out = predict("zero-shot-image-classification", model=tiny("zero-shot-image-classification"),
                  image=handle_file(asset("chelsea.jpg")), candidate_labels="a cat, a dog, a rocket",
                  hypothesis_template="a photo of {}.")
    label, status = out["labels"], out["status"]
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(confidences) == {"a cat", "a dog", "a rocket"}
    assert sum(confidences.values()) == pytest.approx(1, abs=1e-4)  # softmax over the candidates
    assert label["label"] == max(confidences, key=confidences.get)
    assert "tiny-clip" in status


def test_bad_input_is_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    model = tiny("zero-shot-image-classification")
    with pytest.raises(AppError, match="at least two labels"):
        predict("zero-shot-image-classification", model=model, image=handle_file(asset("chelsea.jpg")),
                candidate_labels="cat", hypothesis_template="{}")
    out = assert_bad_images_refused(predict, "zero-shot-image-classification", tmp_path, asset, model=model,
                                    candidate_labels="cup, plate", hypothesis_template="{}")
    assert {c["label"] for c in out["labels"]["confidences"]} == {"cup", "plate"}
