import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from tasks.zero_shot_image_classification import prepare

from tests.tasks._vision_checks import assert_bad_images_refused


def test_prepare_splits_labels_and_keeps_template(asset):
    call = prepare(asset("chelsea.jpg"), " cat, dog,, cat , a rocket ", "a photo of {}")
    assert call.kwargs == {"candidate_labels": ["cat", "dog", "a rocket"], "hypothesis_template": "a photo of {}"}
    assert prepare(asset("chelsea.jpg"), "cat, dog", "  ").kwargs["hypothesis_template"] == "This is a photo of {}."


@pytest.mark.parametrize("labels, template, message", [
    ("", "{}", "at least one label"), ("cat", "{}", "at least two labels"), ("cat, dog", "a photo", "exactly one {}"),
])
def test_prepare_refuses_unusable_labels_and_templates(asset, labels, template, message):
    with pytest.raises(UserError, match=message):
        prepare(asset("chelsea.jpg"), labels, template)


def test_end_to_end_ranks_exactly_the_given_labels(client, tiny, asset):
    label, raw, status = client.predict(
        tiny("zero-shot-image-classification"), handle_file(asset("chelsea.jpg")), "a cat, a dog, a rocket",
        "a photo of {}.", api_name="/zero_shot_image_classification")
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(confidences) == {"a cat", "a dog", "a rocket"}
    assert sum(confidences.values()) == pytest.approx(1, abs=1e-4)  # softmax over the candidates
    assert label["label"] == max(confidences, key=confidences.get)
    assert "tiny-clip" in status


def test_bad_input_is_refused_then_next_request_works(client, tiny, tmp_path, asset):
    with pytest.raises(AppError, match="at least two labels"):
        client.predict(tiny("zero-shot-image-classification"), handle_file(asset("chelsea.jpg")), "cat",
                       "{}", api_name="/zero_shot_image_classification")
    label, _, _ = assert_bad_images_refused(client, tiny("zero-shot-image-classification"),
                                            "/zero_shot_image_classification", tmp_path, asset, "cup, plate", "{}")
    assert {c["label"] for c in label["confidences"]} == {"cup", "plate"}
