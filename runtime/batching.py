"""Dynamic batching: concurrent requests for the same model and parameters run as one batched pipeline call."""

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from .spec import Call, Task


@dataclass(frozen=True)
class BatchSettings:
    """How requests are merged; `max_size` 1 turns batching off."""

    max_size: int = 32  # on 2 CPU cores sent/s still rose from batch 16 to 32 (BERT-base +10-35%, tiny +2-4x)
    max_wait_ms: float = 50.0  # the longest a request waits for company (see Batcher: usually far less, or none)
    wait_share: float = 0.25  # ...and at most this share of the last batch's run time


class _Batch:
    """Requests waiting to run together: their calls, one future each, and how many it waits for."""

    def __init__(self, expected: int):
        self.calls: list[Call] = []
        self.futures: list[Future] = []
        self.arrived: list[float] = []  # time.monotonic() of each call's arrival
        self.expected = expected  # max_size until the leader knows better
        self.full = threading.Event()  # `expected` requests are in


class _Pipeline:
    """One pipeline's batching state: the lock its batches run under, one at a time, and what the last batch was
    like (how many joined, how long it ran, when it ended)."""

    def __init__(self):
        self.busy = threading.Lock()
        self.size, self.seconds, self.ended = 1, 0.0, 0.0


class Batcher:
    """Merges concurrent `task.call`s on one pipeline into `pipe([inputs...], batch_size=n, **kwargs)`.

    The first request of a batch leads: it waits for the model to be free (requests arriving meanwhile join, up to
    `max_size`); then, if a batch has just ended, for its callers to come back with their next requests: until as
    many are in as ran then (plus those that were already waiting), at most `max_wait_ms` and `wait_share` of that
    batch's run time. A lone client runs at once, so batching costs it nothing; 32 clients get batches of ~32
    instead of one request running ahead of the other 31 (seen with BERT-base on 2 cores without this wait:
    batches of 1 and 31 in turn, for good). Every caller gets its own result; if the batched call fails, each
    request is retried alone, so a bad input fails only its own caller.

    Tasks that are `batchable` and do not stream are merged; others run as before. A task's own `run` gets a
    stand-in for its pipeline whose single-input calls are merged the same way (e.g. audio resampled first). A
    task's `batch_group(pipe, call)` keeps apart calls that padding in one batch would change (audio clips of other
    lengths, for a model that sees the padding).
    """

    def __init__(self, settings: BatchSettings = BatchSettings()):
        self.settings = settings
        self._lock = threading.Lock()
        self._open: dict[tuple, _Batch] = {}  # batch still accepting requests, per (pipeline, kwargs)
        self._pipelines: dict[int, _Pipeline] = {}  # by id(pipe)
        self.sizes: list[int] = []  # sizes of the batches run so far (recent ones), for tests and the bench

    def merges(self, task: Task) -> bool:
        return task.batchable and not task.streams and self.settings.max_size > 1

    def call(self, task: Task, pipe, call: Call, progress=None):
        """`task.call(pipe, call)`, its pipeline calls batched with concurrent ones where the task allows it."""
        if not self.merges(task):
            return task.call(pipe, call, progress)
        if task.run is None:
            return self.pipe_call(pipe, call, task.batch_group)
        return task.call(self.merging(task, pipe), call, progress)

    def merging(self, task: Task, pipe):
        """`pipe` as a task's own code calls it: its calls merged with concurrent ones where the task allows it."""
        return _Merging(self, pipe, task.batch_group) if self.merges(task) else pipe

    def pipe_call(self, pipe, call: Call, group=None):
        """`pipe(call.inputs, **call.kwargs)`, merged with concurrent calls on the same pipeline and parameters (and
        in the same `group(pipe, call)`, if given)."""
        key = self._key(pipe, call, group)
        if key is None:
            return pipe(call.inputs, **call.kwargs)
        future: Future = Future()
        with self._lock:
            batch = self._open.get(key)
            leads = batch is None
            if leads:
                batch = self._open[key] = _Batch(expected=self.settings.max_size)
                state = self._pipelines.setdefault(id(pipe), _Pipeline())
            batch.calls.append(call)
            batch.futures.append(future)
            batch.arrived.append(time.monotonic())
            if len(batch.calls) >= batch.expected:
                batch.full.set()
            if len(batch.calls) >= self.settings.max_size:
                del self._open[key]  # full: later requests start a new batch
        if leads:
            with state.busy:  # the model is free (requests arriving meanwhile have joined)
                self._await_crowd(batch, state)
                with self._lock:
                    if self._open.get(key) is batch:
                        del self._open[key]
                begin = time.monotonic()
                self._run(pipe, batch)
                state.size, state.ended = len(batch.calls), time.monotonic()
                state.seconds = state.ended - begin
        return future.result()

    def _await_crowd(self, batch: _Batch, recent: _Pipeline) -> None:
        """The callers of the batch that has just ended are about to send their next requests: if there is a
        crowd (that batch, plus the calls that were already waiting here), wait briefly until it is all in."""
        if time.monotonic() - recent.ended > 1.0:
            return
        with self._lock:
            waiting_before = sum(1 for t in batch.arrived if t < recent.ended)
            batch.expected = min(waiting_before + recent.size, self.settings.max_size)
            if len(batch.calls) >= batch.expected:
                return
        batch.full.wait(min(self.settings.max_wait_ms / 1000, self.settings.wait_share * recent.seconds))

    @staticmethod
    def _key(pipe, call: Call, group=None) -> tuple | None:
        try:
            return (id(pipe), _frozen(call.kwargs), group(pipe, call) if group else None)
        except TypeError:  # parameters that cannot be compared safely (arrays, ...): run alone
            return None

    def _run(self, pipe, batch: _Batch) -> None:
        calls, futures = batch.calls, batch.futures
        self.sizes = [*self.sizes[-999:], len(calls)]
        if len(calls) == 1:
            results = None
        else:
            try:
                results = pipe([c.inputs for c in calls], batch_size=len(calls), **calls[0].kwargs)
                if not isinstance(results, list) or len(results) != len(calls):
                    results = None  # not one result per input: fall back to calls one by one
            except Exception:
                results = None  # one bad input spoils the batch: retry each alone to find whose it is
        for i, (call, future) in enumerate(zip(calls, futures)):
            if results is not None:
                future.set_result(results[i])
                continue
            try:
                future.set_result(pipe(call.inputs, **call.kwargs))
            except Exception as error:
                future.set_exception(error)


class _Merging:
    """Stands in for a pipeline inside a task's own `run`: its single-input calls join concurrent ones."""

    def __init__(self, batcher: Batcher, pipe, group=None):
        self._batcher, self._pipe, self._group = batcher, pipe, group

    def __call__(self, inputs, **kwargs):
        if isinstance(inputs, list):  # already a batch of its own
            return self._pipe(inputs, **kwargs)
        return self._batcher.pipe_call(self._pipe, Call(inputs, kwargs), self._group)

    def __getattr__(self, name):  # feature_extractor, model, tokenizer, ... of the real pipeline
        return getattr(self._pipe, name)


def _frozen(value):
    """A hashable copy of call parameters (lists of labels become tuples); TypeError for anything else."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(v)) for key, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    hash(value)
    return value
