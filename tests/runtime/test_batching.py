"""Dynamic batching: merged calls give every caller its own result, a bad input fails only its caller."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime.batching import Batcher, BatchSettings
from runtime.spec import Call, Limits
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [f"sentence {i}: " + " ".join(["the cat sat on the mat", "a terrible boring film", "I love it"][i % 3:])
             + " and " * (i % 5) + "end" for i in range(16)]


def pipeline_of(task, folder):
    """The pipeline the app would run: the task's own loader where it has one."""
    from runtime.config import ModelChoice
    from runtime.devices import DeviceManager
    from runtime.models import load_pipeline

    return (task.load or load_pipeline)(task, ModelChoice(folder), DeviceManager("cpu").placement())


def same_result(a, b):
    """Equal labels in the same order, scores equal up to float noise (padding in a batch)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_result(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) < 1e-4
    if hasattr(a, "shape") or hasattr(a, "getpixel"):  # tensors, arrays, PIL images (depth maps)
        import numpy as np

        x, y = (np.asarray(v.detach() if hasattr(v, "detach") else v, dtype=np.float64) for v in (a, b))
        return x.shape == y.shape and np.allclose(x, y, atol=1e-3 * max(1.0, np.abs(y).max()))
    return a == b


def concurrently(fn, items, threads=16):
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(fn, item) for item in items]
        return [f.exception() or f.result() for f in futures]


@pytest.mark.parametrize("task", [t for t in REGISTRY.values() if Batcher().merges(t)], ids=lambda t: t.name)
def test_every_batchable_task_gives_each_caller_its_own_result(task, tiny):
    """16 threads, each with an example input of the task, merged into batches: each equals its single call."""
    pipe = pipeline_of(task, tiny(task.name))
    rows = [{k: str(ROOT / v) if isinstance(v, str) and (ROOT / v).is_file() else v for k, v in row.items()}
            for row in task.examples]
    calls = [task.prepare(**rows[i % len(rows)], limits=Limits()) for i in range(16)]
    alone = [task.call(pipe, c) for c in calls]
    batcher = Batcher(BatchSettings(max_size=8, max_wait_ms=200))
    merged = concurrently(lambda c: batcher.call(task, pipe, c), calls)
    assert max(batcher.sizes) > 1 and sum(batcher.sizes) == 16  # really merged, and each call run once
    for got, want in zip(merged, alone):
        assert same_result(got, want)
        assert task.present(got, **rows[0])  # the adapter reads a merged result like a single one


def test_a_bad_input_fails_only_its_own_caller(tiny):
    """A batch whose pipeline call fails is retried item by item: the bad input's caller gets the error."""
    task = REGISTRY["text-classification"]
    pipe = pipeline_of(task, tiny(task.name))
    good = [task.prepare(s, 2) for s in SENTENCES[:15]]
    calls = good[:7] + [Call(12345, good[0].kwargs)] + good[7:]  # not a text: the tokenizer raises for it
    batcher = Batcher(BatchSettings(max_size=16, max_wait_ms=200))
    results = concurrently(lambda c: batcher.call(task, pipe, c), calls)
    assert isinstance(results[7], Exception)
    ok = results[:7] + results[8:]
    assert all(same_result(got, task.call(pipe, c)) for got, c in zip(ok, good))
    assert max(batcher.sizes) > 1


def test_calls_with_other_parameters_or_unbatchable_tasks_run_alone(tiny):
    task = REGISTRY["text-classification"]
    pipe = pipeline_of(task, tiny(task.name))
    batcher = Batcher(BatchSettings(max_size=16, max_wait_ms=100))
    calls = [task.prepare(SENTENCES[i], 1 + i % 2) for i in range(8)]  # two top_k values: two batches
    results = concurrently(lambda c: batcher.call(task, pipe, c), calls, threads=8)
    assert [len(r) for r in results] == [1 + i % 2 for i in range(8)]  # nobody got the other top_k's answer
    assert sum(batcher.sizes) == 8 and max(batcher.sizes) <= 4  # no batch mixed the two
    asr = REGISTRY["automatic-speech-recognition"]  # custom run: never merged
    assert not batcher.merges(asr) and not Batcher(BatchSettings(max_size=1)).merges(task)


def crowd(batcher, pipe, task, clients: int, rounds: int) -> list[int]:
    """`clients` threads each calling `rounds` times back to back; the sizes of the batches that ran."""
    barrier = threading.Barrier(clients)

    def client(index):
        barrier.wait()
        for r in range(rounds):
            batcher.call(task, pipe, task.prepare(SENTENCES[(index + r) % 16], 1))

    concurrently(client, range(clients), threads=clients)
    return batcher.sizes


def test_a_crowd_of_clients_is_batched_together_and_a_lone_client_is_not_kept_waiting(tiny):
    """Without waiting for the crowd, 8 clients split into a batch of 1 and one of 7, in turn, for good: the one
    whose answer came first runs alone while the other 7 are still in the model. With it: batches of 8."""
    task = REGISTRY["text-classification"]
    pipe = pipeline_of(task, tiny(task.name))
    patient = BatchSettings(max_size=32, max_wait_ms=5000, wait_share=1e6)  # waits are bounded only by the crowd
    sizes = crowd(Batcher(patient), pipe, task, clients=8, rounds=12)
    assert sizes == [1] + [8] * 11 + [7], sizes  # the first caller ran alone; so its 12th call ended a batch early
    alone = Batcher(patient)
    sizes = crowd(alone, pipe, task, clients=1, rounds=5)
    assert sizes == [1] * 5  # (had the lone client waited for a crowd, a 5 s wait would time every test out)
    assert alone._pipelines[id(pipe)].size == 1
