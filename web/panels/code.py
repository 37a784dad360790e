"""Reproduce in code: the transformers code of the call a run made (same model, inputs, parameters, device).

The code shows as a fenced Python block in a Markdown widget (highlighted, with gradio's copy button on the block):
every page has Markdown already, where a gr.Code would make each visitor's browser fetch a code editor (~130 KB)
for a panel most never open. The API's "code" value is that Markdown; `code_in()` reads the Python out of it."""

import re

import gradio as gr

from runtime.runner import Result
from runtime.snippets import SnippetContext, files_of, snippet

from ..tab import HISTORY, Tab


def attach(tab: Tab) -> None:
    with gr.Accordion("Reproduce in code", open=False, elem_id=f"{tab.task.name}-code-panel"):
        code = gr.Markdown(fenced("# Run the tab: the transformers code for that run shows here."),
                           elem_id=f"{tab.task.name}-code")
    tab.extras["code"] = (code, lambda result: fenced(code_of(tab, result)))


def fenced(code: str) -> str:
    """`code` as a Markdown Python block, its fence longer than any backtick run inside."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))
    return f"{fence}python\n{code}\n{fence}"


def code_in(markdown: str) -> str:
    """The Python of a fenced block (the code panel's value, as the API answers it)."""
    found = re.fullmatch(r"(`{3,})python\n(.*)\n\1", markdown, re.S)
    return found.group(2) if found else markdown


def code_of(tab: Tab, result: Result) -> str:
    values = dict(result.values)
    earlier = values.pop(HISTORY, None)  # a conversation's earlier files come before the new message's
    return snippet(SnippetContext(
        tab.task, result.model.id, result.placement.pipeline_kwargs(), result.call,
        files_of([earlier, *values.values()]), result.model.revision, result.model.trust_remote_code,
        remote=result.model if result.model.remote else None,
    ))
