"""Batch: a file of texts, or many images, through the tab's model; a results table and a CSV to download.

Offered where a tab takes one text or one image (a chat has no batch: each turn needs the one before)."""

import csv
import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gradio as gr

from runtime import zerogpu
from runtime.errors import UserError
from runtime.spec import Download

from ..errors import said_plainly
from ..tab import Tab

MAX_ITEMS = 200
COLUMNS = ["input", "result", "milliseconds", "error"]


def attach(tab: Tab) -> None:
    kind = batch_kind(tab)
    if kind is None:
        return
    task = tab.task
    with gr.Accordion(f"Batch: many {'texts' if kind == 'text' else 'images'} at once", open=False,
                      elem_id=f"{task.name}-batch-panel"):
        files = gr.File(
            label="A .txt (one text a line) or .csv (a 'text' column)" if kind == "text" else "Images",
            file_count="multiple", file_types=[".txt", ".csv"] if kind == "text" else ["image"],
            elem_id=f"{task.name}-batch-files",
        )
        button = gr.Button("Run batch", elem_id=f"{task.name}-batch-run")
        table = gr.Dataframe(label="Results", interactive=False, elem_id=f"{task.name}-batch-table")
        download = gr.File(label="Results as CSV", elem_id=f"{task.name}-batch-csv")
    button.click(zerogpu.gpu(batch_of(tab, kind, table, download)),
                 inputs_kwargs={"model": tab.model, "files": files, **tab.params}, outputs=[table, download],
                 show_progress_on=[table],  # one progress bar, not one per output
                 api_name=f"{task.api_name}_batch", api_visibility="undocumented",
                 concurrency_id=zerogpu.concurrency_id())


def batch_kind(tab: Tab) -> str | None:
    """'text' or 'image' when a tab's one input is a Textbox or an Image (and it is no chat); else None."""
    if tab.task.conversation or not tab.task.offers_batch or len(tab.inputs) != 1:
        return None
    (widget,) = tab.inputs.values()
    return "text" if isinstance(widget, gr.Textbox) else "image" if isinstance(widget, gr.Image) else None


def batch_of(tab: Tab, kind: str, table, download):
    (input_name,) = tab.inputs

    def batch(progress=gr.Progress(), **values):
        model_id, files = values.pop("model"), values.pop("files")
        with said_plainly(tab.task.title):
            items = batch_items(files, kind)
        if len(items) > MAX_ITEMS:
            raise gr.Error(f"A batch holds at most {MAX_ITEMS} items; this file has {len(items)}.")
        rows = []
        for i, (shown, value) in enumerate(items):
            progress((i, len(items)), desc="Batch", unit="items done")  # one count: "6/20 items done"
            begin = time.perf_counter()
            try:
                with said_plainly(tab.task.title):
                    result = tab.runner.run(model_id, {**values, input_name: value})  # its own progress: none
                cell = summarize(result.outputs) or json.dumps(result.raw, default=str)[:300]  # a picture, a sound: data
                rows.append([shown, cell, round((time.perf_counter() - begin) * 1000), ""])
            except gr.Error as error:
                rows.append([shown, "", round((time.perf_counter() - begin) * 1000), error.message])
        out = Path(tempfile.mkdtemp(prefix="batch-")) / "results.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        import pandas as pd

        return {table: pd.DataFrame(rows, columns=COLUMNS), download: str(out)}

    batch.__name__ = f"{tab.task.api_name}_batch"
    return batch


def batch_items(files, kind: str) -> list[tuple[str, Any]]:
    """(shown name, input value) per item: lines or a CSV's text column for text, one per file for images."""
    paths = [f if isinstance(f, str) else getattr(f, "name", None) or f["path"] for f in files or ()]
    if not paths:
        raise UserError("Upload a file first: a .txt or .csv of texts, or several images.")
    if kind == "image":
        return [(Path(p).name, p) for p in paths]
    items = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
        if Path(path).suffix.lower() == ".csv":
            rows = list(csv.reader(text.splitlines()))
            if not rows:
                continue
            header = [h.strip().lower() for h in rows[0]]
            column = header.index("text") if "text" in header else 0
            body = rows[1:] if "text" in header else rows
            items += [(row[column], row[column]) for row in body if len(row) > column and row[column].strip()]
        else:
            items += [(line.strip(), line.strip()) for line in text.splitlines() if line.strip()]
    if not items:
        raise UserError("The uploaded file holds no texts (one per line, or a CSV with a 'text' column).")
    return items


def summarize(outputs: Mapping[str, Any]) -> str:
    """One short cell of a results table from a run's output values (labels, texts; not images or sound)."""
    cells = []
    for value in outputs.values():
        if isinstance(value, Mapping) and value and all(isinstance(v, (int, float)) for v in value.values()):
            label = max(value, key=value.get)  # a gr.Label value: label -> score
            cells.append(f"{label} ({value[label]:.3f})")
        elif isinstance(value, str):
            cells.append(value.strip())
        elif _is_sound(value):
            rate, samples = value
            cells.append(f"{len(samples) / rate:.2f} s of audio ({rate} Hz)")
        elif type(value).__module__.startswith("PIL."):  # a picture (a table has .size and .mode() too)
            cells.append(f"a {value.size[0]}×{value.size[1]} image")
        elif value is None or hasattr(value, "size") or _holds_array(value) or isinstance(value, Download):
            continue  # arrays, annotated images, files
        else:
            try:
                cells.append(json.dumps(value, default=str)[:300])
            except (TypeError, ValueError):
                cells.append(repr(value)[:300])
    return " · ".join(c for c in cells if c)


def _is_sound(value) -> bool:
    """A gr.Audio value: (sampling rate, samples)."""
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int) and hasattr(value[1], "shape")


def _holds_array(value) -> bool:
    return isinstance(value, (tuple, list)) and any(hasattr(v, "shape") for v in value)
