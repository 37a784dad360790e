import pandas as pd
import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.table_question_answering import EXAMPLE, prepare, present

AGGREGATORS = {0: "NONE", 1: "SUM", 2: "AVERAGE", 3: "COUNT"}


def build_tiny(folder):
    from transformers import TapasConfig, TapasForQuestionAnswering, TapasTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    words = wordpiece_tokenizer().get_vocab()  # TAPAS has only a slow tokenizer, read from a vocab file
    (folder / "vocab.txt").write_text("\n".join([*sorted(words, key=words.get), "[EMPTY]"]) + "\n")
    tokenizer = TapasTokenizer(str(folder / "vocab.txt"), model_max_length=128)
    config = TapasConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=128, num_aggregation_labels=len(AGGREGATORS), aggregation_labels=AGGREGATORS,
        use_answer_as_supervision=True,  # WTQ-style head: answers may aggregate cells
    )
    save(folder, TapasForQuestionAnswering(config), tokenizer)


TINY = (TinyModel("tiny-tapas", build_tiny),)


def frame(table=EXAMPLE):
    return pd.DataFrame(table["data"], columns=table["headers"])


def test_prepare_gives_columns_of_strings_and_drops_blank_rows():
    table = frame()
    table.loc[len(table)] = ["", "", ""]
    call = prepare(table=table, question=" Which city is biggest? ")
    assert call.inputs["query"] == "Which city is biggest?"
    assert call.inputs["table"]["City"] == ["Paris", "Berlin", "Madrid", "Rome"]


@pytest.mark.parametrize("table, question, message", [
    (frame(), "  ", "Type a question"),
    (pd.DataFrame(), "q", "table is empty"),
    (pd.DataFrame([["a", "b"]], columns=["x", "x"]), "q", "different, non-empty name"),
])
def test_prepare_refuses_bad_tables(table, question, message):
    with pytest.raises(UserError, match=message):
        prepare(table=table, question=question)


def test_present_names_aggregator_and_cells():
    shown = present({"answer": "SUM > 2.1, 3.6", "cells": ["2.1", "3.6"], "coordinates": [(0, 2), (1, 2)],
                     "aggregator": "SUM"}, table=frame(), question="What is the total population?")
    assert set(shown) == {"answer", "details"}
    answer, details = shown["answer"], shown["details"]
    assert answer == "SUM > 2.1, 3.6" and "SUM" in details and "2.1 (row 1, column 3)" in details


def test_end_to_end(predict, tiny):
    table = {"headers": EXAMPLE["headers"], "data": EXAMPLE["data"], "metadata": None}
    out = predict("table-question-answering", model=tiny("table-question-answering"), table=table,
                  question="Which city has the most people?")
    answer, details, raw, status = out["answer"], out["details"], out["raw"], out["status"]
    cells = {cell for row in EXAMPLE["data"] for cell in row}
    assert set(raw["cells"]) <= cells
    assert all(0 <= r < len(EXAMPLE["data"]) and 0 <= c < len(EXAMPLE["headers"]) for r, c in raw["coordinates"])
    assert raw["aggregator"] in {"NONE", "SUM", "AVERAGE", "COUNT"} and raw["aggregator"] in details
    assert answer == raw["answer"] and "tiny-tapas" in status


def test_empty_question_is_a_clear_error(predict, tiny):
    from gradio_client.exceptions import AppError

    table = {"headers": EXAMPLE["headers"], "data": EXAMPLE["data"], "metadata": None}
    with pytest.raises(AppError, match="Type a question"):
        predict("table-question-answering", model=tiny("table-question-answering"), table=table, question="")
