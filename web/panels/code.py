"""Reproduce in code: the transformers code of the call a run made (same model, inputs, parameters, device)."""

import gradio as gr

from runtime.runner import Result
from runtime.snippets import SnippetContext, files_of, snippet

from ..tab import HISTORY, Tab


def attach(tab: Tab) -> None:
    with gr.Accordion("Reproduce in code", open=False, elem_id=f"{tab.task.name}-code-panel"):
        code = gr.Code(
            "# Run the tab: the transformers code for that run shows here.", language="python",
            buttons=["copy"], interactive=False, elem_id=f"{tab.task.name}-code",
        )
    tab.extras["code"] = (code, lambda result: code_of(tab, result))


def code_of(tab: Tab, result: Result) -> str:
    values = dict(result.values)
    earlier = values.pop(HISTORY, None)  # a conversation's earlier files come before the new message's
    return snippet(SnippetContext(
        tab.task, result.model.id, result.placement.pipeline_kwargs(), result.call,
        files_of([earlier, *values.values()]), result.model.revision, result.model.trust_remote_code,
        remote=result.model if result.model.remote else None,
    ))
