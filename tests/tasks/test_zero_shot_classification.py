import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.zero_shot_classification import prepare, present
from tests.tasks._tiny_helpers import bert_config

NLI_LABELS = ("contradiction", "neutral", "entailment")


def build_tiny(folder):
    from transformers import BertForSequenceClassification

    tokenizer = wordpiece_tokenizer()
    config = bert_config(tokenizer, id2label=dict(enumerate(NLI_LABELS)), label2id={l: i for i, l in enumerate(NLI_LABELS)})
    save(folder, BertForSequenceClassification(config), tokenizer)


TINY = (TinyModel("tiny-bert-nli", build_tiny),)


def test_prepare_splits_labels_and_checks_the_template():
    call = prepare(text=" a text ", labels="sports, politics,, sports ,science", multi_label=True,
                   template="It is about {}.")
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
        prepare(text=text, labels=labels, multi_label=False, template=template)


def test_present_keeps_the_ranking():
    shown = present({"labels": ["b", "a"], "scores": [0.7, 0.3]}, text="x", labels="a, b")
    assert shown == {"scores": {"b": 0.7, "a": 0.3}} and list(shown["scores"]) == ["b", "a"]


def test_end_to_end_single_and_multi_label(predict, tiny):
    model = tiny("zero-shot-classification")
    out = predict("zero-shot-classification", model=model, text="A rocket flew to space.", labels="space, food, politics",
                  multi_label=False, template="This example is {}.")
    single, raw, status = out["scores"], out["raw"], out["status"]
    scores = {c["label"]: c["confidence"] for c in single["confidences"]}
    assert set(scores) == {"space", "food", "politics"} and sum(scores.values()) == pytest.approx(1, abs=1e-3)
    assert raw["labels"] == [c["label"] for c in single["confidences"]]  # ranked, best first
    multi = predict("zero-shot-classification", model=model, text="A rocket flew to space.",
                    labels="space, food, politics", multi_label=True, template="This example is {}.")["scores"]
    assert all(0 < c["confidence"] < 1 for c in multi["confidences"])
    assert sum(c["confidence"] for c in multi["confidences"]) != pytest.approx(1, abs=1e-3)  # each label on its own
    assert "tiny-bert-nli" in status


def test_bad_template_is_a_clear_error_and_the_next_request_works(predict, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="exactly one"):
        predict("zero-shot-classification", model=tiny("zero-shot-classification"), text="x", labels="a, b",
                multi_label=False, template="no slot")
    label = predict("zero-shot-classification", model=tiny("zero-shot-classification"), text="x", labels="a, b",
                    multi_label=False, template="{}")["scores"]
    assert len(label["confidences"]) == 2
