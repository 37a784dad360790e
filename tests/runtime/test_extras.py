"""Deep links, compare and batch mode: pure parts without a model, then end to end through the app's API."""

import csv

import pytest

from runtime.errors import UserError
from runtime.extras import batch_items, batch_kind, deep_link, summarize
from tasks import REGISTRY


def choices(config):
    return config.choices


def test_deep_link_selects_modality_task_and_model(config, tiny):
    found = deep_link(REGISTRY, [], {"task": "image-classification", "model": tiny("image-classification")},
                      config.choices)
    assert found == {"modality": "vision", "task": "image-classification", "model": tiny("image-classification")}
    assert deep_link(REGISTRY, [], {"task": "text_classification"}, config.choices)["task"] == "text-classification"
    assert deep_link(REGISTRY, [], {}, config.choices) == {}


def test_deep_link_to_unknown_tab_or_model_warns(config):
    assert "no 'nope' tab" in deep_link(REGISTRY, [], {"task": "nope"}, config.choices)["warning"]
    found = deep_link(REGISTRY, [], {"task": "text-classification", "model": "x/y"}, config.choices)
    assert found["task"] == "text-classification" and "model" not in found and "does not offer 'x/y'" in found["warning"]


def test_batch_items_read_lines_and_csv_text_column(tmp_path):
    (tmp_path / "a.txt").write_text("first\n\n  second  \n")
    (tmp_path / "b.csv").write_text('id,text\n1,"hello, world"\n2,\n3,bye\n')
    assert batch_items([str(tmp_path / "a.txt")], "text") == [("first", "first"), ("second", "second")]
    assert [v for _, v in batch_items([str(tmp_path / "b.csv")], "text")] == ["hello, world", "bye"]
    assert batch_items([str(tmp_path / "x.png")], "image") == [("x.png", str(tmp_path / "x.png"))]


def test_batch_items_refuse_nothing(tmp_path):
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(UserError, match="Upload a file first"):
        batch_items([], "text")
    with pytest.raises(UserError, match="holds no texts"):
        batch_items([str(tmp_path / "empty.txt")], "text")


def test_summarize_picks_the_top_label_and_text():
    assert summarize([{"a": 0.2, "b": 0.8}]) == "b (0.800)"
    assert summarize([" transcript "]) == "transcript"


def test_batch_mode_only_for_a_single_text_or_image_input():
    import gradio as gr

    with gr.Blocks():
        assert batch_kind([gr.Textbox()]) == "text"
        assert batch_kind([gr.Image()]) == "image"
        assert batch_kind([gr.Audio()]) is None
        assert batch_kind([gr.Image(), gr.Textbox()]) is None


def test_compare_runs_both_models_side_by_side(client, tiny):
    model = tiny("text-classification")
    out = client.predict(model, model, "I love it", 2, "default", api_name="/text_classification_compare")
    label_a, raw_a, status_a, label_b, raw_b, status_b = out
    assert {c["label"] for c in label_a["confidences"]} == {"POSITIVE", "NEGATIVE"}
    assert raw_a == raw_b  # same model, same input
    assert "inference" in status_a and "inference" in status_b


def test_compare_shows_a_bad_input_on_its_side_only(client, tiny):
    model = tiny("text-classification")
    out = client.predict(model, model, "   ", 2, "default", api_name="/text_classification_compare")
    assert "Type some text" in out[2] and "Type some text" in out[5]


def test_batch_of_texts_gives_a_table_and_a_csv(client, tiny, tmp_path):
    from gradio_client import handle_file

    (tmp_path / "texts.txt").write_text("I love it\nawful\n")
    table, download = client.predict(tiny("text-classification"), [handle_file(str(tmp_path / "texts.txt"))], 1, "default",
                                     api_name="/text_classification_batch")
    assert table["headers"] == ["input", "result", "milliseconds", "error"]
    assert [row[0] for row in table["data"]] == ["I love it", "awful"]
    assert all(row[1].split(" (")[0] in ("POSITIVE", "NEGATIVE") and not row[3] for row in table["data"])
    with open(download, newline="") as f:
        assert [row[0] for row in csv.reader(f)] == ["input", "I love it", "awful"]


def test_batch_of_images_reports_a_bad_file_in_its_row(client, tiny, asset, tmp_path):
    from gradio_client import handle_file

    (tmp_path / "broken.png").write_bytes(b"not an image")
    files = [handle_file(asset("chelsea.jpg")), handle_file(str(tmp_path / "broken.png"))]
    table, _ = client.predict(tiny("image-classification"), files, 2, api_name="/image_classification_batch")
    good, bad = table["data"]
    assert good[0] == "chelsea.jpg" and good[1] and not good[3]
    assert bad[0] == "broken.png" and "not an image" in bad[3]
