import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.text_classification import prepare, present


def build_tiny(folder):
    from transformers import BertConfig, BertForSequenceClassification

    tokenizer = wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=128, id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    save(folder, BertForSequenceClassification(config), tokenizer)


TINY = (TinyModel("tiny-bert-sentiment", build_tiny),)


def test_prepare_asks_for_truncation_and_top_k():
    call = prepare("  great film  ", 3)
    assert call.inputs == "great film"
    assert call.kwargs == {"top_k": 3, "truncation": True}


def test_prepare_all_labels_and_multi_label_scores():
    assert prepare("x", 0, "sigmoid").kwargs == {"top_k": None, "truncation": True, "function_to_apply": "sigmoid"}
    with pytest.raises(UserError, match="Pick how scores"):
        prepare("x", 0, "magic")


@pytest.mark.parametrize("text", ["", "   \n", None])
def test_prepare_refuses_empty_text(text):
    with pytest.raises(UserError, match="Type some text"):
        prepare(text, 3)


def test_present_maps_labels_to_scores():
    rows = [{"label": "POSITIVE", "score": 0.9}, {"label": "NEGATIVE", "score": 0.1}]
    assert present(rows, text="x") == {"labels": {"POSITIVE": 0.9, "NEGATIVE": 0.1}}
    assert present([rows]) == {"labels": {"POSITIVE": 0.9, "NEGATIVE": 0.1}}  # batched shape


def test_end_to_end(predict, tiny):
    out = predict("text-classification", model=tiny("text-classification"), text="I love this movie", top_k=2)
    label, raw, status = out["labels"], out["raw"], out["status"]
    scores = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(scores) == {"POSITIVE", "NEGATIVE"}
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert label["label"] == max(scores, key=scores.get)
    assert [row["label"] for row in raw] == [c["label"] for c in label["confidences"]]
    assert "tiny-bert-sentiment" in status and "cpu" in status and "inference" in status and " ms" in status


def test_very_long_text_is_truncated_not_an_error(predict, tiny):
    out = predict("text-classification", model=tiny("text-classification"), text="word " * 5000, top_k=1)
    assert len(out["labels"]["confidences"]) == 1 and "input cut to the model's first" in out["status"]


def test_multi_label_scores_are_independent(predict, tiny):
    out = predict("text-classification", model=tiny("text-classification"), text="I love this movie", top_k=0,
                  scores="sigmoid")
    scores = [c["confidence"] for c in out["labels"]["confidences"]]
    assert len(scores) == 2 and all(0 < s < 1 for s in scores)  # every label, each its own probability
    assert sum(scores) != pytest.approx(1.0, abs=1e-4)
