"""Deep links: `/?task=<name>&model=<id>` opens that tab with that model picked, on its modality's page."""

import difflib
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs

import gradio as gr

from runtime.spec import Task


# A deep-linked page keeps its tabs hidden until the link's tab is selected, so the landing tab never flashes first
# (the selection arrives with the page's load event); after 8 s they show whatever happened.
HEAD = """<style>html.deep-linking [id^="tasks-"] { visibility: hidden; }</style>
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


def attach(demo: gr.Blocks, tasks: Mapping[str, Task], choices: Callable, task_tabs: gr.Tabs,
           pickers: Mapping[str, gr.Dropdown]) -> None:
    """On a page's load, select the tab (and model) the link names; `task_tabs` are the page's, `pickers` its
    tasks' by name. A link to another page's task was sent there before the page was served (PageRedirect)."""

    def open_deep_link(request: gr.Request):
        found = deep_link(tasks, dict(request.query_params or {}), choices)
        if found.get("warning"):
            gr.Warning(found["warning"])
        if found.get("task") not in pickers:
            return {}
        shown = {task_tabs: gr.Tabs(selected=found["task"])}
        if "model" in found:
            shown[pickers[found["task"]]] = gr.Dropdown(value=found["model"])
        return shown

    demo.load(open_deep_link, None, [task_tabs, *pickers.values()], api_visibility="private").then(None, js=SHOWN_JS)
    demo.page_head = HEAD  # web/server.py serve() hands it to launch(head=...)


class PageRedirect:
    """ASGI middleware: a link to a task on another page (`/?task=object-detection`, or a link copied on one page and
    edited) is sent to that task's page with its query, before any page is rendered: the visitor sees the tab first,
    never another page. `pages` maps a task name to its page's path ('' for the landing page); task names are read
    as the registry reads them (`object_detection` too)."""

    def __init__(self, app, tasks: Mapping[str, Task], pages: Mapping[str, str]):
        self.app, self.tasks, self.pages = app, tasks, dict(pages)
        self.paths = {f"/{path}" for path in self.pages.values()}  # "/" and "/vision", ...

    def page_of(self, query: str) -> str | None:
        name = (parse_qs(query).get("task") or [""])[0].strip()
        try:
            return self.pages.get(self.tasks[name].name) if name else None
        except KeyError:  # no such task: the page itself says so (open_deep_link's warning)
            return None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
            query = scope.get("query_string", b"").decode("latin-1")
            if path in self.paths and "task=" in query:
                target = self.page_of(query)
                if target is not None and f"/{target}" != path:
                    location = f"./{target}?{query}"  # relative: right behind a proxy's prefix too
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
        await self.app(scope, receive, send)
