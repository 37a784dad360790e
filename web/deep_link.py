"""Deep links: `/?task=<name>&model=<id>` opens that tab with that model picked."""

import difflib
from collections.abc import Callable, Mapping

import gradio as gr

from runtime.spec import Task


# A deep-linked page keeps its tabs hidden until the link's tab is selected, so the landing tab never flashes first
# (the selection arrives with the page's load event); after 8 s they show whatever happened.
HEAD = """<style>html.deep-linking #modalities { visibility: hidden; }</style>
<script>
if (new URLSearchParams(window.location.search).get("task")) {
  document.documentElement.classList.add("deep-linking");
  setTimeout(() => document.documentElement.classList.remove("deep-linking"), 8000);
}
</script>"""
SHOWN_JS = "() => { document.documentElement.classList.remove('deep-linking'); }"


def deep_link(tasks: Mapping[str, Task], query: Mapping[str, str], choices: Callable) -> dict:
    """What a query selects: {"modality": id, "task": name, "model": id}, or a "warning"."""
    name = (query.get("task") or "").strip()
    if not name:
        return {}
    try:
        task = tasks[name]
    except KeyError:
        titles = {t.title.lower(): t.name for t in tasks.values()}
        close = difflib.get_close_matches(name.lower(), [*tasks, *titles], n=1, cutoff=0.6)
        hint = f" Did you mean {tasks[titles.get(close[0], close[0])].title} (?task={titles.get(close[0], close[0])})?" \
            if close else " Pick a tab above."
        return {"warning": f"There is no '{name}' tab here.{hint}"}
    found = {"modality": task.modality.lower(), "task": task.name}
    model = (query.get("model") or "").strip()
    if model:
        offered = {key: c.id for c in choices(task) for key in (c.id, c.label, c.public_name) if key}
        if model in offered:
            found["model"] = offered[model]
        else:
            found["warning"] = f"The {task.title} tab does not offer '{model}'; showing its default model."
    return found


def attach(demo: gr.Blocks, tasks: Mapping[str, Task], choices: Callable, modality_tabs: gr.Tabs,
           task_tabs: Mapping[str, gr.Tabs], pickers: Mapping[str, gr.Dropdown]) -> None:
    """On page load, select what the link names; `task_tabs` by lower-case modality, `pickers` by task name."""

    def open_deep_link(request: gr.Request):
        found = deep_link(tasks, dict(request.query_params or {}), choices)
        if found.get("warning"):
            gr.Warning(found["warning"])
        if "modality" not in found:
            return {}
        shown = {modality_tabs: gr.Tabs(selected=found["modality"]),
                 task_tabs[found["modality"]]: gr.Tabs(selected=found["task"])}
        if "model" in found:
            shown[pickers[found["task"]]] = gr.Dropdown(value=found["model"])
        return shown

    demo.load(open_deep_link, None, [modality_tabs, *task_tabs.values(), *pickers.values()],
              api_visibility="private").then(None, js=SHOWN_JS)
    demo.page_head = HEAD  # web/server.py serve() hands it to launch(head=...)
