"""One request of a task, by name from start to end: model policy, cached model, prepare, pipeline, present."""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .batching import Batcher
from .config import Config, ModelChoice
from .devices import Placement
from .models import ModelCache
from .spec import Call, Task


@dataclass(frozen=True)
class Result:
    """What one run answers: the output values by name, the raw result, the status line, and the call made."""

    outputs: Mapping[str, Any]  # output name -> value, as present() gave them ("history" for a conversation)
    raw: Any  # the pipeline's result as JSON
    status: str  # the status line: model, placement, load and inference time, how the input was read
    call: Call  # the pipeline call that was made
    model: ModelChoice
    placement: Placement
    values: Mapping[str, Any]  # the named values the run was asked with


class Busy(Exception):
    """More requests wait for a gate than the caller allows."""


class Gate:
    """At most `limit` runs at once, whichever route asks (Gradio's queue, the lean API, Compare, Batch); a caller
    that allows at most `waiting` others to wait is told Busy beyond that."""

    def __init__(self, limit: int):
        self.limit = limit
        self._slots = threading.Semaphore(limit)
        self._lock = threading.Lock()
        self.inside = self.waiting = self.most_inside = 0  # now, and the most at once (for tests and the bench)

    @contextlib.contextmanager
    def slot(self, waiting: int | None = None):
        with self._lock:
            if waiting is not None and self.waiting + self.inside >= self.limit + waiting:
                raise Busy
            self.waiting += 1
        self._slots.acquire()
        with self._lock:
            self.waiting -= 1
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            yield
        finally:
            with self._lock:
                self.inside -= 1
            self._slots.release()


class Runner:
    """Runs one task's requests. `run(model, values)` answers a Result; a streaming task's `stream(model, values)`
    yields one Result per partial answer. Bad input raises UserError; the web layer says it to the person. Every run
    takes a slot of the task's `gate` (shared by the tasks of one concurrency limit), whichever route it came by."""

    def __init__(self, task: Task, config: Config, models: ModelCache, batcher: Batcher | None = None,
                 gate: Gate | None = None):
        self.task, self.config, self.models, self.batcher = task, config, models, batcher
        self.gate = gate or Gate(1_000_000)

    def run(self, model_id: str | None, values: Mapping[str, Any], progress: Callable | None = None,
            waiting: int | None = None) -> Result:
        """`waiting`: answer Busy, without waiting, if that many requests wait for the gate already."""
        if self.task.streams:
            last = None
            with contextlib.closing(self.stream(model_id, values, progress, waiting)) as results:
                for last in results:
                    pass
            return last
        choice = self.config.resolve(self.task, model_id)
        with self.gate_of(choice).slot(waiting):
            loaded, call = self._start(choice, values, progress)
            begin = time.perf_counter()
            if self.batcher is not None and not choice.remote:  # a serving engine batches on its own
                result = self.batcher.call(self.task, loaded.pipe, call, progress)
            else:
                result = self.task.call(loaded.pipe, call, progress)
            return self._answer(result, values, choice, loaded, call, time.perf_counter() - begin)

    def stream(self, model_id: str | None, values: Mapping[str, Any], progress: Callable | None = None,
               waiting: int | None = None) -> Iterator[Result]:
        """Closing this iterator (Stop, a closed page) closes the task's, which ends generation and frees the slot."""
        if not self.task.streams:
            yield self.run(model_id, values, progress, waiting)
            return
        choice = self.config.resolve(self.task, model_id)
        with self.gate_of(choice).slot(waiting):
            loaded, call = self._start(choice, values, progress)
            begin = time.perf_counter()
            with contextlib.closing(self.task.call(loaded.pipe, call, progress)) as partials:
                for partial in partials:
                    yield self._answer(partial, values, choice, loaded, call, time.perf_counter() - begin)

    def gate_of(self, choice: ModelChoice) -> Gate:
        """The tab's gate for a local model; a remote one's server has its own (`max_concurrency`)."""
        if not choice.remote:
            return self.gate
        from .remote import GATES

        return GATES(choice)

    def _start(self, choice, values, progress):
        if progress is not None and not self.models.is_loaded(self.task, choice):
            progress(0, desc=f"Loading {choice.display}…")
        loaded = self.models.get(self.task, choice)
        return loaded, self.task.prepare(**values, limits=self.config.limits)

    def _answer(self, result, values, choice, loaded, call, seconds) -> Result:
        line = status_line(choice.display, loaded, seconds) + truncation_note(loaded.pipe, call)
        note = self.task.note(loaded.pipe, call, result) if self.task.note else ""
        if note:
            line += f" · {note}"
        outputs = self.task.present(result, **values)
        return Result(outputs, jsonable(result), line, call, choice, loaded.placement, values)


def status_line(model: str, loaded, seconds: float) -> str:
    if getattr(loaded.pipe, "remote", False):
        return f"**{model}** · {loaded.placement} · round trip {seconds * 1000:.0f} ms"
    load = f"loaded in {loaded.load_seconds:.2f} s" if loaded.load_seconds else "from cache"
    return f"**{model}** · {loaded.placement} · model {load} · inference {seconds * 1000:.0f} ms"


# pipelines that cut a text to the model's window on their own, without a `truncation` argument
ALWAYS_TRUNCATE = ("TokenClassificationPipeline", "ZeroShotClassificationPipeline",
                   "SummaryPipeline", "TranslationPipeline")  # runtime/pipelines/seq2seq.py's (they cut to the window)


def truncation_note(pipe, call: Call) -> str:
    """Tells the user when their text (or one of their texts) was longer than the model's window and only its start
    was read."""
    tokenizer = getattr(pipe, "tokenizer", None)
    limit = getattr(tokenizer, "model_max_length", None)
    text = call.inputs
    tokenize_kwargs = call.kwargs.get("tokenize_kwargs")  # feature extraction hands truncation to its tokenizer
    truncates = (call.kwargs.get("truncation") or (isinstance(tokenize_kwargs, dict) and tokenize_kwargs.get("truncation"))
                 or (type(pipe).__name__ in ALWAYS_TRUNCATE and "stride" not in call.kwargs))
    texts = [text] if isinstance(text, str) else text if isinstance(text, list) and all(isinstance(t, str) for t in text) else []
    if not (truncates and texts and limit and limit < 1_000_000):
        return ""
    long = [t for t in texts if len(t) > limit]  # a token covers at least one character: the others fit the window
    counts = [len(tokenizer(t, truncation=False, verbose=False)["input_ids"]) for t in long]
    cut = [n for n in counts if n > limit]
    if not cut:
        return ""
    if isinstance(text, str):
        return f" · input cut to the model's first {limit} of {cut[0]} tokens"
    return f" · {len(cut)} of {len(texts)} inputs cut to the model's first {limit} tokens (the longest has {max(cut)})"


def jsonable(value: Any, depth: int = 0) -> Any:
    """The raw pipeline result as JSON: arrays and images summarised, not dumped."""
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return round(float(value), 6)  # float(): numpy's float64 is a float, and round() keeps it numpy
    if isinstance(value, np.generic):
        return jsonable(value.item(), depth)
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().float().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.size <= 16:
            return jsonable(value.tolist(), depth)
        return {"array": list(value.shape), "dtype": str(value.dtype), "min": float(value.min()), "max": float(value.max())}
    if hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
        return {"image": list(value.size), "mode": value.mode}
    return repr(value)[:200]
