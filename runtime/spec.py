"""The task spec: one small declarative object per task, and the registry that holds them all."""

import importlib.util
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODALITIES = ("Text", "Vision", "Audio", "Multimodal")


@dataclass(frozen=True)
class Call:
    """One pipeline call: `pipeline(inputs, **kwargs)`."""

    inputs: Any
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Download:
    """A file to offer for download, as present() answers it: a name and its text. The web layer writes it where
    its file widget can serve it; present() itself writes no files."""

    name: str  # e.g. "transcript.srt"
    text: str


@dataclass(frozen=True)
class TinyModel:
    """A small random-weight model of a task, built locally for tests and air-gapped smoke runs."""

    name: str  # folder name, e.g. "tiny-bert-sentiment"
    build: Callable[[Path], None]  # writes model + preprocessor into the folder


@dataclass(frozen=True)
class Limits:
    """Input limits the operator sets; handed to a task's `prepare` if it takes `limits`."""

    max_image_side: int = 2048  # larger images are downscaled before the model
    max_audio_seconds: float = 600.0


@dataclass(frozen=True)
class Task:
    """Everything the app knows of a task: widgets, pure adapters and how to load its pipeline.

    Every value travels by name. `inputs()`, `params()` and `outputs()` build widgets as {name: component}; the
    values of inputs and params (and, for a `conversation` task, the chat so far as `history`) reach
    `prepare(**values, limits=...) -> Call`, which turns them into a pipeline call, and
    `present(result, **values) -> {output name: value}`, which turns the pipeline's result into output values
    (a conversation task answers the new chat as "history"). Both are pure, and raise `UserError` for bad input.
    `run(pipe, call, progress)`, when given, calls the pipeline itself; `progress` may be None.
    """

    name: str  # the transformers pipeline task, e.g. "text-classification"
    title: str
    modality: str  # one of MODALITIES
    models: tuple[str, ...]  # curated Hub ids, the CPU-friendly default first
    inputs: Callable[[], Mapping[str, Any]]  # builds the input widgets, {name: component}
    outputs: Callable[[], Mapping[str, Any]]  # builds the rich output widgets, {name: component}
    prepare: Callable[..., Call]
    present: Callable[..., Mapping[str, Any]]
    params: Callable[[], Mapping[str, Any]] = dict  # builds the parameter controls, {name: component}
    examples: tuple[Mapping[str, Any], ...] = ()  # {input name: value}; inputs left out keep their default
    load: Callable | None = None  # (task, choice, placement) -> pipeline; None: transformers.pipeline(name, ...)
    run: Callable[..., Any] | None = None  # (pipe, call, progress) -> result, or an iterator when `streams`
    streams: bool = False  # run yields partial results that are shown as they come
    conversation: bool = False  # a chat: the app keeps the conversation, handed in and answered as `history`
    offers_batch: bool = True  # a one-text or one-image tab offers Batch (off where one item is no whole input)
    batchable: bool = False  # concurrent calls may be merged into one batched pipeline call
    batch_group: Callable[[Any, Call], Any] | None = None  # (pipe, call) -> calls merge only within one group
    requires: tuple[str, ...] = ()  # importable packages the task needs beyond the design card's
    own_pipeline: bool = False  # the module provides the pipeline itself (transformers 5 lacks it)
    check_architecture: bool = True  # refuse models whose architecture is not one of this task's
    description: str = ""
    note: Callable[[Any, Call, Any], str] | None = None  # (pipe, call, result) -> a word for the status line: how the
    # input was read, or why a result is empty and what to try
    plain_call: bool = False  # run only adds what the page shows: `pipe(call.inputs, **call.kwargs)` is the pipeline's
    # own answer, so Reproduce in code writes plain transformers that runs outside this repo
    snippet: Callable[[Any], str] | None = None  # (SnippetContext) -> code, when runtime.snippets' generic one is wrong
    remote: Callable[..., Any] | None = None  # (model, call, progress) -> result: how `run` goes on a RemoteModel
    # (runtime/remote.py), for a task whose run reaches into the pipeline; None: a task without `run` calls the
    # remote model as it would the pipeline, a task with one runs local models only
    serve: Callable[..., Any] | None = None  # (pipe, inputs, parameters) -> the answer of endpoint mode
    # (web/endpoint.py) in the Inference API's terms: JSON-able, a picture (sent as PNG) or {"audio", "sampling_rate"}
    # (sent as WAV); a chat task yields its reply so far. A batchable task's `pipe` merges its one-input calls with
    # concurrent ones, as in `run`. None: the pipeline's own answer, pipe(inputs, **parameters)

    def __post_init__(self):
        if self.modality not in MODALITIES:
            raise ValueError(f"{self.name}: modality {self.modality!r} is not one of {MODALITIES}")

    @property
    def api_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def runs_remote(self) -> bool:
        """Whether a model of this task may be served elsewhere (an operator's `endpoint` or `provider`)."""
        from runtime.remote import CLIENT_TASKS

        return self.name in CLIENT_TASKS and (self.remote is not None or self.run is None)

    def call(self, pipe, call: Call, progress=None):
        """Runs one prepared call (an iterator of partial results when the task streams); `progress((done, total),
        desc=...)` may be told how far it is, e.g. each denoising step."""
        if getattr(pipe, "remote", False):  # a RemoteModel: the same call, through InferenceClient
            return self.remote(pipe, call, progress) if self.remote else pipe(call.inputs, **call.kwargs)
        return self.run(pipe, call, progress) if self.run else pipe(call.inputs, **call.kwargs)

    def missing(self) -> str | None:
        """Why this task cannot run with the installed packages, or None. Imports nothing."""
        for package in self.requires:
            if importlib.util.find_spec(package) is None:
                return f"needs the '{package}' package"
        if not self.own_pipeline and not _transformers_has_pipeline(self.name):
            return "the installed transformers has no such pipeline"
        return None


def _transformers_has_pipeline(task: str) -> bool:
    spec = importlib.util.find_spec("transformers")  # a file check: importing transformers.pipelines takes seconds
    return spec is not None and any(
        (Path(p) / "pipelines" / f"{task.replace('-', '_')}.py").exists() for p in spec.submodule_search_locations
    )


class Registry(Mapping[str, Task]):
    """All available tasks, keyed by transformers task name; a lookup of an unknown name lists the valid ones."""

    def __init__(self, tasks: Sequence[Task], left_out: Mapping[str, str] | None = None):
        self._tasks = {t.name: t for t in tasks}
        self.left_out = dict(left_out or {})  # task name -> why it is not available here

    def __getitem__(self, name: str) -> Task:
        if name in self._tasks:
            return self._tasks[name]
        if name.replace("_", "-") in self._tasks:  # API-style names work too
            return self._tasks[name.replace("_", "-")]
        hint = f" ({name} is left out here: {self.left_out[name]})" if name in self.left_out else ""
        raise KeyError(f"Unknown task {name!r}{hint}. Valid tasks: {', '.join(sorted(self._tasks))}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def by_modality(self) -> dict[str, list[Task]]:
        groups = {m: [t for t in self._tasks.values() if t.modality == m] for m in MODALITIES}
        return {m: ts for m, ts in groups.items() if ts}
