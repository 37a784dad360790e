"""Compare two models: the same inputs through the tab's model and another, answers side by side.

Each side has its own output widgets and, on a chat tab, its own conversation; a failure shows on its side only."""

from dataclasses import dataclass

import gradio as gr

from runtime import zerogpu

from ..errors import said_plainly
from ..tab import HISTORY, Tab, conversation


@dataclass
class Side:
    name: str  # "a" or "b"
    outputs: dict  # output name -> widget, as the tab's ("history" too on a chat tab)
    raw: gr.JSON
    status: gr.Markdown


def attach(tab: Tab) -> None:
    task, choices = tab.task, tab.config.choices(tab.task)
    with gr.Accordion("Compare two models", open=False, elem_id=f"{task.name}-compare-panel"):
        with gr.Row():
            model_b = gr.Dropdown(
                choices=[(c.display, c.id) for c in choices], value=choices[min(1, len(choices) - 1)].id,
                label="Compare with", scale=5, allow_custom_value=tab.config.allow_any_model,
                elem_id=f"{task.name}-compare-model",
            )
            button = gr.Button("Compare", size="sm", scale=1, min_width=90, elem_id=f"{task.name}-compare")
        sides = []
        with gr.Row():
            for name in ("a", "b"):
                with gr.Column():
                    prefix = f"{task.name}-compare-{name}"
                    outputs = {**conversation(task, f"{prefix}-{HISTORY}"), **task.outputs()}
                    for key, widget in outputs.items():  # the builder's elem_ids are the main tab's
                        widget.elem_id = f"{prefix}-{key}"
                    sides.append(Side(name, outputs, gr.JSON(label="Pipeline output", visible=False,
                                                             elem_id=f"{prefix}-raw"),
                                      gr.Markdown(elem_id=f"{prefix}-status")))
    histories = {f"{HISTORY}_{side.name}": side.outputs[HISTORY] for side in sides} if task.conversation else {}
    values = {"model": tab.model, "model_b": model_b, **tab.inputs, **tab.params, **histories}
    widgets = [w for side in sides for w in (*side.outputs.values(), side.raw, side.status)]
    button.click(zerogpu.gpu(compare_with(tab, sides)), inputs_kwargs=values, outputs=widgets,
                 api_name=f"{task.api_name}_compare", api_visibility="undocumented",
                 concurrency_id=zerogpu.concurrency_id())


def compare_with(tab: Tab, sides: list[Side]):
    def compare(progress=gr.Progress(), **values):
        models = {"a": values.pop("model"), "b": values.pop("model_b")}
        histories = {side.name: values.pop(f"{HISTORY}_{side.name}", None) for side in sides}
        shown = {}  # both sides so far: the last answer holds both, as an API caller reads it
        for i, side in enumerate(sides):
            progress(i / len(sides), desc=f"Running {'the first' if i == 0 else 'the second'} model…")
            given = {**values, HISTORY: histories[side.name]} if tab.task.conversation else values
            try:
                with said_plainly(tab.task.title):
                    result = tab.runner.run(models[side.name], given)
                shown |= tab.shown(result, side.outputs, side.raw, side.status)
            except gr.Error as error:  # this side says what went wrong; its conversation stays as it was
                shown |= {widget: None for key, widget in side.outputs.items() if key != HISTORY}
                shown |= {side.raw: None, side.status: f"⚠️ {error.message}"}
            yield shown

    compare.__name__ = f"{tab.task.api_name}_compare"
    return compare
