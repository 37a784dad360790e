import pytest

from runtime.errors import UserError
from tasks.zero_shot_classification import prepare, present


def test_prepare_splits_labels_and_checks_the_template():
    call = prepare(" a text ", "sports, politics,, sports ,science", True, "It is about {}.")
    assert call.inputs == "a text"
    assert call.kwargs == {"candidate_labels": ["sports", "politics", "science"], "multi_label": True,
                           "hypothesis_template": "It is about {}."}


@pytest.mark.parametrize("text, labels, template, message", [
    ("", "a", "{}", "Type some text"),
    ("x", " , ", "{}", "at least one candidate label"),
    ("x", "a", "no slot", "exactly one {}"),
])
def test_prepare_refuses_bad_input(text, labels, template, message):
    with pytest.raises(UserError, match=message):
        prepare(text, labels, False, template)


def test_present_keeps_the_ranking():
    assert present({"labels": ["b", "a"], "scores": [0.7, 0.3]}) == ({"b": 0.7, "a": 0.3},)


def test_end_to_end_single_and_multi_label(client, tiny):
    model = tiny("zero-shot-classification")
    single, raw, status = client.predict(model, "A rocket flew to space.", "space, food, politics", False, "This example is {}.",
                                         api_name="/zero_shot_classification")
    scores = {c["label"]: c["confidence"] for c in single["confidences"]}
    assert set(scores) == {"space", "food", "politics"} and sum(scores.values()) == pytest.approx(1, abs=1e-3)
    assert raw["labels"] == [c["label"] for c in single["confidences"]]  # ranked, best first
    multi, raw, _ = client.predict(model, "A rocket flew to space.", "space, food, politics", True, "This example is {}.",
                                   api_name="/zero_shot_classification")
    assert all(0 < c["confidence"] < 1 for c in multi["confidences"])
    assert sum(c["confidence"] for c in multi["confidences"]) != pytest.approx(1, abs=1e-3)  # each label on its own
    assert "tiny-bert-nli" in status


def test_bad_template_is_a_clear_error_and_the_next_request_works(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="exactly one"):
        client.predict(tiny("zero-shot-classification"), "x", "a, b", False, "no slot", api_name="/zero_shot_classification")
    label, _, _ = client.predict(tiny("zero-shot-classification"), "x", "a, b", False, "{}", api_name="/zero_shot_classification")
    assert len(label["confidences"]) == 2
