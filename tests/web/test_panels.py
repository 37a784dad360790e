"""Every panel on every tab, through the real served app with each task's tiny models and first example.

Generic over the registry, like the bad-input matrix: a task added later is covered without editing this file.
Then the panels' pure parts (batch items, summaries) and a few specific cases."""

import csv
import inspect
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from tasks import REGISTRY
from web.panels.batch import batch_items, summarize
from web.panels.code import code_in

ROOT = Path(__file__).resolve().parents[2]
TASKS = list(REGISTRY)


def event(demo, api_name):
    return next(f for f in demo.fns.values() if f.api_name == api_name)


def by_elem_id(fn, prefix: str) -> dict:
    """An event's outputs as {name: position}, named by the elem_ids `<prefix><name>`."""
    return {block.elem_id.removeprefix(prefix): i for i, block in enumerate(fn.outputs)
            if (block.elem_id or "").startswith(prefix)}


def test_every_task_names_its_values_as_prepare_and_present_take_them(served):
    """The contract: prepare takes every input and parameter by name (and limits); present's keys are outputs."""
    for name, tab in served[0].tabs.items():
        taken = inspect.signature(tab.task.prepare).parameters
        names = [*tab.inputs, *tab.params, *(["history"] if tab.task.conversation else []), "limits"]
        missing = [n for n in names if n not in taken and not any(p.kind == p.VAR_KEYWORD for p in taken.values())]
        assert not missing, f"{name}: prepare() takes no {missing}"
        assert list(tab.values) == ["model", *names[:-1]], name  # the API's parameter names, in order


@pytest.mark.parametrize("name", TASKS)
def test_run_fills_every_output_and_the_code_of_the_call_made(name, predict, served, tiny, example):
    """Run with the first example answers every output by name, and Reproduce in code shows that very call."""
    tab = served[0].tabs[name]
    out = predict(name, model=tiny(name), **example(tab.task))
    assert set(out) == {*tab.outputs, "raw", "status", "code"}
    assert out["raw"] is not None and "inference" in out["status"] and tiny(name).rsplit("/", 1)[-1] in out["status"]
    assert out["code"].startswith("```python\n")  # a highlighted block on the page
    code = code_in(out["code"])
    compile(code, f"<code panel of {name}>", "exec")  # it is Python
    assert repr(tiny(name)) in code or f"ModelChoice({tiny(name)!r}" in code, code


@pytest.mark.parametrize("name", TASKS)
def test_compare_answers_on_both_sides_each_with_its_own_outputs(name, call_event, served, tiny, example):
    demo = served[0]
    tab = demo.tabs[name]
    fn = event(demo, f"{tab.task.api_name}_compare")
    model = tiny(name)
    answer = call_event(f"{tab.task.api_name}_compare", model=model, model_b=model, **example(tab.task))
    main = {id(w) for w in (*tab.outputs.values(), tab.raw, tab.status)}
    assert not main & {id(block) for block in fn.outputs}, "Compare writes into the tab's own outputs"
    for side in ("a", "b"):
        where = by_elem_id(fn, f"{name}-compare-{side}-")
        assert set(where) == {*tab.outputs, "raw", "status"}, f"side {side} lacks outputs"
        status = answer[where["status"]]
        assert "inference" in status and not status.startswith("⚠️"), f"side {side}: {status}"
        assert answer[where["raw"]] is not None
        if tab.task.conversation:  # each side's own chat: the question and its answer
            assert [turn["role"] for turn in answer[where["history"]]] == ["user", "assistant"]


def batch_inputs(tab, tmp_path):
    (kind_widget,) = tab.inputs.values()
    value = tab.task.examples[0][next(iter(tab.inputs))]
    if isinstance(kind_widget, gr.Textbox):
        (tmp_path / "texts.txt").write_text(f"{value}\n{value} again\n")
        return [handle_file(str(tmp_path / "texts.txt"))], 2
    return [handle_file(str(ROOT / value)), handle_file(str(ROOT / "assets/astronaut.jpg"))], 2


@pytest.mark.parametrize("name", TASKS)
def test_batch_where_offered_gives_a_row_per_item_and_a_csv(name, call_event, served, tiny, tmp_path):
    from web.panels.batch import batch_kind

    demo = served[0]
    tab = demo.tabs[name]
    offered = any(f.api_name == f"{tab.task.api_name}_batch" for f in demo.fns.values())
    assert offered == (batch_kind(tab) is not None)
    if not offered:
        assert tab.task.conversation or not tab.task.offers_batch or len(tab.inputs) != 1 or not isinstance(
            next(iter(tab.inputs.values())), (gr.Textbox, gr.Image)), f"{name} should offer a batch"
        return
    files, count = batch_inputs(tab, tmp_path)
    table, download = call_event(f"{tab.task.api_name}_batch", model=tiny(name), files=files)
    assert table["headers"] == ["input", "result", "milliseconds", "error"]
    assert len(table["data"]) == count
    for row in table["data"]:
        assert row[1] and not row[3], f"{name}: {row}"
        assert "array" not in row[1] and "[ " not in row[1][:3], f"{name}: a raw array in the table: {row[1]}"
    with open(download, newline="") as f:
        assert len(list(csv.reader(f))) == count + 1


def test_a_batch_shows_one_progress_bar_on_its_table(served):
    """Progress of a batch is one count ("6/20 items done") on the results table, not a bar on each output."""
    batches = [f for f in served[0].fns.values() if (f.api_name or "").endswith("_batch")]
    assert batches
    for fn in batches:
        assert [block.elem_id for block in fn.show_progress_on] == [fn.outputs[0].elem_id], fn.api_name
        assert fn.outputs[0].elem_id.endswith("-batch-table")


def test_compare_on_a_chat_keeps_each_sides_conversation(call_event, served, tiny):
    demo = served[0]
    fn = event(demo, "text_generation_compare")
    a, b = by_elem_id(fn, "text-generation-compare-a-"), by_elem_id(fn, "text-generation-compare-b-")
    model = tiny("text-generation")
    first = call_event("text_generation_compare", model=model, model_b=model, message="hello", max_new_tokens=4,
                       seed=1)
    second = call_event("text_generation_compare", model=model, model_b=model, message="and then?", max_new_tokens=4,
                        seed=1, history_a=first[a["history"]], history_b=[])
    assert [t["role"] for t in second[a["history"]]] == ["user", "assistant"] * 2  # side A went on
    assert [t["role"] for t in second[b["history"]]] == ["user", "assistant"]  # side B started afresh


def test_compare_shows_a_bad_input_on_each_side(call_event, served, tiny):
    fn = event(served[0], "text_classification_compare")
    a, b = by_elem_id(fn, "text-classification-compare-a-"), by_elem_id(fn, "text-classification-compare-b-")
    model = tiny("text-classification")
    out = call_event("text_classification_compare", model=model, model_b=model, text="   ")
    assert "Type some text" in out[a["status"]] and "Type some text" in out[b["status"]]


def test_batch_of_images_reports_a_bad_file_in_its_row(call_event, tiny, asset, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not an image")
    files = [handle_file(asset("chelsea.jpg")), handle_file(str(tmp_path / "broken.png"))]
    table, _ = call_event("image_classification_batch", model=tiny("image-classification"), files=files, top_k=2)
    good, bad = table["data"]
    assert good[0] == "chelsea.jpg" and good[1] and not good[3]
    assert bad[0] == "broken.png" and "not an image" in bad[3]


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


def test_summarize_picks_the_top_label_and_text_and_gives_sound_and_pictures_their_size():
    import numpy as np
    from PIL import Image

    assert summarize({"labels": {"a": 0.2, "b": 0.8}}) == "b (0.800)"
    assert summarize({"transcript": " transcript "}) == "transcript"
    assert summarize({"audio": (16000, np.zeros(24000, dtype=np.int16)), "text": "said"}) == \
        "1.50 s of audio (16000 Hz) · said"  # a duration, never the samples
    assert summarize({"image": Image.new("RGB", (64, 48))}) == "a 64×48 image"


def test_a_download_is_written_by_the_web_layer_under_its_own_name():
    from runtime.spec import Download
    from web.tab import served

    path = Path(served(Download("transcript.srt", "1\n00:00:00,000 --> 00:00:01,000\nhi\n")))
    assert path.name == "transcript.srt" and path.read_text().endswith("hi\n")
    assert served("plain") == "plain" and served(None) is None
