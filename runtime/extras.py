"""What every tab gets on top of Run, built on its handler: deep links, compare two models, batch a file of inputs."""

import csv
import inspect
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from .errors import UserError
from .spec import Task


def run_to_end(result):
    """A handler's final outputs: streaming handlers yield partial outputs, the last one is the answer."""
    if inspect.isgenerator(result):
        last = None
        for last in result:
            pass
        return last
    return result


class Quiet:
    """A gr.Progress stand-in that shows nothing: compare and batch report their own progress."""

    def __call__(self, *_, **__):
        return None

    def tqdm(self, iterable, *_, **__):
        return iterable


quiet = Quiet()


def deep_link(tasks: Mapping[str, Task], modalities: Sequence[str], query: Mapping[str, str], choices) -> dict:
    """What `/?task=<name>&model=<id>` selects: {"modality": id, "task": name, "model": id}, or a "warning"."""
    name = (query.get("task") or "").strip()
    if not name:
        return {}
    try:
        task = tasks[name]
    except KeyError:
        return {"warning": f"There is no '{name}' tab here. Tabs: {', '.join(sorted(tasks))}."}
    found = {"modality": task.modality.lower(), "task": task.name}
    model = (query.get("model") or "").strip()
    if model:
        offered = [c.id for c in choices(task)] + [c.label for c in choices(task) if c.label]
        if model in offered:
            found["model"] = next(c.id for c in choices(task) if model in (c.id, c.label))
        else:
            found["warning"] = f"The {task.title} tab does not offer '{model}'; showing its default model."
    return found


def make_compare(handler: Callable, n_outputs: int) -> Callable:
    """(model_a, model_b, *values) -> outputs of A then outputs of B, each (*rich, raw_json, status).

    The two run one after the other on the same input; a failure on one side is shown on that side only.
    """

    def side(model_id, values):
        try:
            return tuple(run_to_end(handler(model_id, *values, progress=quiet)))
        except gr.Error as error:
            return (*[None] * (n_outputs - 1), f"⚠️ {error.message}")

    def compare(model_a, model_b, *values, progress=gr.Progress()):
        progress(0, desc="Running the first model…")
        a = side(model_a, values)
        yield (*a, *[gr.update()] * n_outputs)
        progress(0.5, desc="Running the second model…")
        yield (*a, *side(model_b, values))

    return compare


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


def summarize(outputs: Sequence) -> str:
    """One short cell of a results table from a tab's rich output values."""
    cells = []
    for value in outputs:
        if isinstance(value, Mapping) and value and all(isinstance(v, (int, float)) for v in value.values()):
            label = max(value, key=value.get)  # a gr.Label value: label -> score
            cells.append(f"{label} ({value[label]:.3f})")
        elif isinstance(value, str):
            cells.append(value.strip())
        elif value is not None and not hasattr(value, "size"):  # skip images and arrays
            try:
                cells.append(json.dumps(value, default=str)[:300])
            except (TypeError, ValueError):
                cells.append(repr(value)[:300])
    return " · ".join(c for c in cells if c)


def make_batch(handler: Callable, kind: str, max_items: int = 200) -> Callable:
    """(model, files, *params) -> (results table rows, CSV file path), with a progress bar over the items."""
    columns = ["input", "result", "milliseconds", "error"]

    def batch(model_id, files, *params, progress=gr.Progress()):
        items = batch_items(files, kind)
        if len(items) > max_items:
            raise gr.Error(f"A batch holds at most {max_items} items; this file has {len(items)}.")
        rows = []
        for i, (name, value) in enumerate(items):
            progress((i, len(items)), desc=f"Item {i + 1} of {len(items)}", unit="items")
            begin = time.perf_counter()
            try:
                outputs = run_to_end(handler(model_id, value, *params, progress=quiet))
                rows.append([name, summarize(outputs[:-2]), round((time.perf_counter() - begin) * 1000), ""])
            except gr.Error as error:
                rows.append([name, "", round((time.perf_counter() - begin) * 1000), error.message])
        out = Path(tempfile.mkdtemp(prefix="batch-")) / "results.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(rows)
        import pandas as pd

        return pd.DataFrame(rows, columns=columns), str(out)

    return batch


def batch_kind(inputs: Sequence) -> str | None:
    """'text' or 'image' when a tab's single main input is a Textbox or an Image; None: no batch mode."""
    if len(inputs) != 1:
        return None
    if isinstance(inputs[0], gr.Textbox):
        return "text"
    if isinstance(inputs[0], gr.Image):
        return "image"
    return None
