import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.token_classification import STRATEGIES, prepare, present
from tests.tasks._tiny_helpers import bert_config

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")


def build_tiny(folder):
    from transformers import BertForTokenClassification

    tokenizer = wordpiece_tokenizer()
    config = bert_config(tokenizer, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    save(folder, BertForTokenClassification(config), tokenizer)


TINY = (TinyModel("tiny-bert-ner", build_tiny),)


def test_prepare_passes_the_aggregation_strategy():
    assert prepare(text="Sarah lives in London", aggregation="first").kwargs == {"aggregation_strategy": "first"}
    with pytest.raises(UserError, match="Type some text"):
        prepare(text="  ", aggregation="simple")
    with pytest.raises(UserError, match="aggregation strategy"):
        prepare(text="x", aggregation="loudest")


def test_present_highlights_spans_and_fills_the_table():
    text = "Sarah lives in London"
    rows = [{"entity_group": "PER", "score": 0.9, "word": "Sarah", "start": 0, "end": 5},
            {"entity_group": "LOC", "score": 0.8, "word": "London", "start": 15, "end": 21}]
    shown = present(rows, text=text, aggregation="simple")
    assert set(shown) == {"entities", "table"}
    pieces, table = shown["entities"], shown["table"]
    assert pieces == [("Sarah", "PER"), (" lives in ", None), ("London", "LOC")]
    assert "".join(p for p, _ in pieces) == text
    assert table[1] == ["LOC", "London", 0.8, 15, 21]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_end_to_end(predict, tiny, strategy):
    text = "My name is Sarah and I live in London."
    out = predict("token-classification", model=tiny("token-classification"), text=text, aggregation=strategy)
    highlighted, table, raw, status = out["entities"], out["table"], out["raw"], out["status"]
    pieces = [(piece["token"], piece["class_or_confidence"]) for piece in highlighted]
    assert "".join(token for token, _ in pieces) == text  # the whole text, entities marked inside it
    allowed = set(LABELS) - {"O"} if strategy == "none" else {label.split("-")[-1] for label in LABELS} - {"O"}
    found = {label for _, label in pieces if label}
    assert found and found <= allowed
    assert table["headers"] == ["entity", "word", "score", "start", "end"]
    assert len(table["data"]) == len(raw) and all(text[r[3]:r[4]].lower() == text[r[3]:r[4]].lower() for r in table["data"])
    assert all(0 <= row[2] <= 1 for row in table["data"])
    assert "tiny-bert-ner" in status
