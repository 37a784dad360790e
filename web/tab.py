"""One task's tab: its widgets by name, the runner behind them, and the Run and Stop events."""

import collections
import contextlib
import dataclasses
import functools
import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from runtime import zerogpu
from runtime.batching import Batcher
from runtime.config import Config
from runtime.errors import UserError
from runtime.models import ModelCache
from runtime.runner import Gate, Result, Runner
from runtime.spec import Download, Task

from .errors import plain_input_errors, said_plainly

RUN_KEY_JS = """() => {
  // Ctrl+Enter (Cmd+Enter on a Mac) runs the tab the cursor is in
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const tab = event.target.closest && event.target.closest('[id^="tab-"]:not([id$="-button"])');
    const run = tab && document.getElementById(tab.id.slice(4) + "-run");
    if (run) { event.preventDefault(); run.click(); }
  });
}"""

UPDATE_SECONDS = 0.1  # a stream shows its text at most 10 times a second (a small model writes 200 tokens a second)
KEPT_ERRORS = 1000  # sessions whose last refusal waits for their page to show it (API callers never fetch theirs)
HISTORY = "history"  # the name a conversation travels by: into prepare and present, and back from present
MESSAGE = "message"  # a conversation's message box: emptied once its message is answered; Enter sends a multimodal one


class Pace:
    """When a stream's next result is shown: new text at most every UPDATE_SECONDS, and a heartbeat (the same result
    again: the page's handler keeps control while the model reads a long prompt) at most as often, on a clock of its
    own, so a heartbeat shown just before the first word never holds that word back."""

    def __init__(self, seconds: float = UPDATE_SECONDS):
        self.seconds, self.shown, self.changed_at, self.shown_at = seconds, object(), -seconds, -seconds

    def due(self, raw, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        changed = raw != self.shown
        if now - (self.changed_at if changed else self.shown_at) < self.seconds:
            return False
        self.shown_at = now
        if changed:
            self.shown, self.changed_at = raw, now
        return True


def conversation(task: Task, elem_id: str) -> dict:
    """{"history": the chat widget} for a conversation task (the tab's, or each side's in Compare); {} for others."""
    if not task.conversation:
        return {}
    return {HISTORY: gr.Chatbot(label="Conversation", height=400, buttons=["copy"], elem_id=elem_id)}


@dataclass
class Tab:
    """A built tab. Values travel by name: `inputs`, `params` and `outputs` map names to widgets."""

    task: Task
    runner: Runner
    config: Config
    model: gr.Dropdown
    inputs: dict[str, Any]
    params: dict[str, Any]
    outputs: dict[str, Any]  # the rich outputs; a conversation task's chat is "history", an input as well
    raw: gr.JSON
    status: gr.Markdown
    run: gr.Button
    stop: gr.Button | None
    settings: dict  # the run event's queue settings: concurrency id and limit
    extras: dict[str, tuple[Any, Callable[[Result], Any]]] = field(default_factory=dict)  # name -> (widget, fill):
    # more widgets a finished run fills (the code panel's code)
    event: Any = None  # the Run event, once wired
    stops: dict[str, set[threading.Event]] = field(default_factory=dict)  # browser session -> its running streams
    errors: collections.OrderedDict = field(default_factory=collections.OrderedDict)  # session -> its last refusal

    @property
    def values(self) -> dict[str, Any]:
        """Every widget a run takes, by the name its value travels under (the API's parameter names)."""
        history = {HISTORY: self.outputs[HISTORY]} if self.task.conversation else {}
        return {"model": self.model, **self.inputs, **self.params, **history}

    @property
    def output_names(self) -> list[str]:
        """The names of the Run event's outputs, in the order the API returns them."""
        return [*self.outputs, "raw", "status", *self.extras]

    def shown(self, result: Result, outputs: Mapping[str, Any] | None = None, raw=None, status=None) -> dict:
        """{widget: value} for one result, on this tab's output widgets or on the given ones (a Compare side)."""
        outputs = self.outputs if outputs is None else outputs
        unknown = set(result.outputs) - set(outputs)
        if unknown:
            raise KeyError(f"{self.task.name}: present() answered {sorted(unknown)}, not among {sorted(outputs)}")
        return {outputs[name]: served(value) for name, value in result.outputs.items()} | {
            self.raw if raw is None else raw: result.raw, self.status if status is None else status: result.status}

    def handler(self) -> Callable:
        """The function behind Run and the task's API endpoint; it takes the values by name (`inputs_kwargs`)."""
        runner, title, extras = self.runner, self.task.title, self.extras

        if self.task.streams:
            def handler(request: gr.Request, progress=gr.Progress(track_tqdm=True), **values):  # tqdm: loading stages
                last, stop, pace = None, threading.Event(), Pace()
                with self.stoppable(request, stop), self.kept_errors(request), said_plainly(title), \
                        contextlib.closing(runner.stream(values.pop("model", None), values, progress)) as results:
                    for last in results:
                        if stop.is_set():  # Stop: leaving closes the stream, which ends generation
                            last = dataclasses.replace(last, status=f"{last.status} · **stopped**: the answer so far is kept")
                            break
                        if pace.due(last.raw):  # a page redrawn per token can't take a click
                            yield self.shown(last)
                if last is not None:  # the whole answer once more, finished or stopped, with what a finished run fills
                    yield self.shown(last) | {widget: fill(last) for widget, fill in extras.values()}
        else:
            def handler(request: gr.Request, progress=gr.Progress(track_tqdm=True), **values):  # tqdm: loading stages
                with self.kept_errors(request), said_plainly(title):
                    result = runner.run(values.pop("model", None), values, progress)
                return self.shown(result) | {widget: fill(result) for widget, fill in extras.values()}

        handler.__name__ = self.task.api_name
        return handler

    def wire(self, api=None) -> None:
        """Run (and Stop) events, once every panel has added what a finished run fills; the lean route too."""
        outputs = [*self.outputs.values(), self.raw, self.status, *(widget for widget, _ in self.extras.values())]
        message = self.inputs.get(MESSAGE) if self.task.conversation else None
        sends = [message.submit] if isinstance(message, gr.MultimodalTextbox) else []  # Enter and its send arrow
        self.event = gr.on([self.run.click, *sends], zerogpu.gpu(self.handler()), inputs_kwargs=self.values,
                           outputs=outputs, api_name=self.task.api_name, **self.settings)
        self.event.failure(self.failed, None, outputs, api_visibility="private", queue=False, show_progress="hidden")
        if message is not None:  # answered: the box is ready for the next message (a failed one stays to be fixed)
            self.event.success(lambda: None, None, message, api_visibility="private", queue=False)
        if self.stop:  # Stop ends the stream as an answer (gradio's cancel would mark every output "Error")
            self.stop.click(self.stop_streams, None, None, queue=False, api_visibility="private")
        if api is not None:
            api.add(self)


    @contextlib.contextmanager
    def stoppable(self, request: gr.Request | None, stop: threading.Event):
        """Registers a running stream of the browser session, so that its Stop button can end it."""
        session = getattr(request, "session_hash", None)
        running = self.stops.setdefault(session, set()) if session else set()
        running.add(stop)
        try:
            yield
        finally:
            running.discard(stop)
            if session and not running:
                self.stops.pop(session, None)

    @contextlib.contextmanager
    def kept_errors(self, request: gr.Request | None):
        """Keeps the sentence of a refused run for the session, for the status line to show once the toast is gone."""
        try:
            yield
        except gr.Error as error:
            session = getattr(request, "session_hash", None)
            if session:
                self.errors[session] = error.message
                while len(self.errors) > KEPT_ERRORS:
                    self.errors.popitem(last=False)
            raise

    def failed(self, request: gr.Request) -> dict:
        """After a failed run: its sentence in the status line; the other outputs as they were, without error badges."""
        message = self.errors.pop(getattr(request, "session_hash", None), None) or "The run failed."
        others = [*self.outputs.values(), self.raw, *(widget for widget, _ in self.extras.values())]
        return {self.status: f"⚠️ {message}"} | dict.fromkeys(others, gr.skip())

    def stop_streams(self, request: gr.Request) -> None:
        for stop in list(self.stops.get(getattr(request, "session_hash", None), ())):
            stop.set()


def served(value):
    """An output value as its widget takes it: a Download is written to a file of its own (its path is shown)."""
    if not isinstance(value, Download):
        return value
    path = Path(tempfile.mkdtemp(prefix="playground-")) / value.name
    path.write_text(value.text, encoding="utf-8")
    return str(path)


def build_tab(task: Task, config: Config, models: ModelCache, batcher: Batcher, gates: dict[str, Gate]) -> Tab:
    """Lays out one task's tab: picker, inputs, parameters, Run, outputs, status and raw JSON, examples. Its runner
    takes the gate of its concurrency limit from `gates` (one per limit, shared by every route and tab in it)."""
    settings = queue_settings(task, config, batcher)
    gate = gates.setdefault(settings["concurrency_id"] or "gpu", Gate(settings["concurrency_limit"]))
    runner = Runner(task, config, models, batcher, gate)
    choices = config.choices(task)
    remote = [c for c in choices if c.remote]
    if remote:  # each server's gate holds it to its limit: the queue lets in enough for the local gate and them all
        settings = {"concurrency_id": f"{task.name}-remote",
                    "concurrency_limit": settings["concurrency_limit"] + sum(c.max_concurrency for c in remote)}
    if task.description:
        gr.Markdown(task.description)
    with gr.Row():
        with gr.Column():
            with gr.Row():
                model = gr.Dropdown(
                    choices=[(picker_label(c), c.id) for c in choices], value=choices[0].id, label="Model", scale=5,
                    min_width=280,  # on a phone, Copy link goes below rather than squeezing the name under the arrow
                    allow_custom_value=config.allow_any_model, elem_id=f"{task.name}-model",
                    info=picker_info(task, config),
                )
                link = gr.Button("Copy link", size="sm", scale=1, min_width=90, elem_id=f"{task.name}-link")
            info = gr.Markdown(describe_model(config, task, choices[0].id), elem_id=f"{task.name}-model-info")
            inputs = dict(task.inputs())
            with gr.Accordion("Parameters", open=False, elem_id=f"{task.name}-params") as accordion:
                params = dict(task.params())
            accordion.visible = bool(params)
            plain_input_errors([*inputs.values(), *params.values()])  # a bad file or a value not a choice: a sentence
            for widget in inputs.values():
                if isinstance(widget, gr.Image):  # a file that is no image: refused as it is added, not on Run
                    widget.upload(image_or_nothing, widget, widget, preprocess=False, concurrency_limit=None,
                                  api_visibility="private", show_progress="hidden")  # queued: toasts need it
            run = gr.Button("Run  (Ctrl+Enter)", variant="primary", elem_id=f"{task.name}-run")
            stop = gr.Button("Stop", variant="stop", elem_id=f"{task.name}-stop") if task.streams else None
        with gr.Column():
            outputs = {**conversation(task, f"{task.name}-chat"), **task.outputs()}
            status = gr.Markdown(elem_id=f"{task.name}-status")
            with gr.Accordion("Raw JSON", open=False):
                raw = gr.JSON(label="Pipeline output", elem_id=f"{task.name}-json")
    if task.examples:
        gr.Examples([[example.get(name, widget.value) for name, widget in inputs.items()] for example in task.examples],
                    inputs=list(inputs.values()), label="Examples")
    model.preprocess = listed_only(model.preprocess, config, task)
    model.change(lambda m: describe_model(config, task, m), model, info, api_visibility="private")
    link.click(None, [model], None, js=copy_link_js(task, {c.id: c.public_name for c in choices if c.public_name != c.id}))
    return Tab(task, runner, config, model, inputs, params, outputs, raw, status, run, stop, settings)


def picker_info(task: Task, config: Config) -> str | None:
    """The line under the picker: that any Hub id may be typed; on a server with remote models, that this task's
    models all run here (no model-server protocol has it)."""
    notes = ["Type any Hub id"] if config.allow_any_model else []
    if not task.runs_remote and any(c.remote for choices in config.models.values() for c in choices):
        notes.append("local only: model servers have no protocol for this task")
    return " · ".join(notes) or None


def picker_label(choice) -> str:
    """A model's name in the picker; a remote one says where it runs."""
    if not choice.remote:
        return choice.display
    from runtime.remote import host_of

    return f"{choice.display} (remote · {host_of(choice)})"


def image_or_nothing(upload):
    """An added file that is not an image is taken away again, with a sentence (a broken picture would show)."""
    from PIL import Image

    try:
        with Image.open(upload["path"]) as image:
            image.verify()
    except Exception:  # whatever PIL cannot read (a text file named .png, a PDF, a cut-off file)
        gr.Warning("That file is not an image this app can read (try a PNG or JPEG).")
        return None
    return gr.skip()


def listed_only(preprocess: Callable, config: Config, task: Task) -> Callable:
    """The model picker's check, refusing as the engine does: gradio's own message would list the choices' values,
    server folder paths among them, where visitors should see the models' names only."""

    @functools.wraps(preprocess)  # still the picker's own preprocess to gradio (web/gradio_patches/processing.py)
    def checked(payload):
        try:
            return preprocess(payload)
        except gr.Error:
            with said_plainly(task.title):
                return config.resolve(task, payload).id  # a listed model's name (not its value) is taken too

    return checked


def queue_settings(task: Task, config: Config, batcher: Batcher) -> dict:
    """Batched tasks let enough requests in to fill a batch while one runs; the others share one limit.
    On ZeroGPU all GPU work shares one queue instead."""
    if batcher.merges(task):
        settings = {"concurrency_limit": 2 * config.batch_size, "concurrency_id": f"{task.name}-batched"}
    else:
        settings = {"concurrency_limit": config.concurrency, "concurrency_id": "model"}  # one cap on unbatched work
    if zerogpu.enabled():
        settings["concurrency_id"] = zerogpu.concurrency_id()
    return settings


def describe_model(config: Config, task: Task, model_id: str) -> str:
    """The line next to the picker: size, architecture, licence (from disk or the Hub cache only)."""
    from runtime.model_info import model_info

    try:
        return model_info(config.resolve(task, model_id)).markdown()
    except UserError as error:
        return f"⚠️ {error}"


def copy_link_js(task: Task, names: Mapping[str, str]) -> str:
    """Puts this tab's deep link (current model included, by its name: never a server folder) in the address bar
    and on the clipboard, and says so on the button for two seconds."""
    return f"""(model) => {{
  const names = {json.dumps(dict(names))};
  const url = new URL(window.location.href);
  url.search = "";
  url.searchParams.set("task", {task.name!r});
  if (model) url.searchParams.set("model", names[model] || model);
  window.history.replaceState(null, "", url);
  if (navigator.clipboard) navigator.clipboard.writeText(url.toString()).catch(() => {{}});
  const button = document.getElementById({f"{task.name}-link"!r});
  if (button) {{
    button.textContent = "Link copied ✓";
    setTimeout(() => {{ button.textContent = "Copy link"; }}, 2000);
  }}
  return [];
}}"""
