"""Cancelled streams leave nothing behind (web/gradio_patches/cancel.py): generation threads end, every slot is given
back, and the only threads left are idle workers of a bounded pool."""

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from tasks import REGISTRY
from web import gradio_patches

STREAMS = 48
CLIENTS = """
import os, sys, time
from concurrent.futures import ThreadPoolExecutor
from gradio_client import Client

url, model, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = Client(url, ssl_verify=False, verbose=False)  # one client: its jobs share a session, as a script's do


def cancelled(i):
    job = client.submit(model=model, message=f"Tell me a long story, number {i}.", max_new_tokens=1024, seed=i,
                        api_name="/text_generation")
    time.sleep(1)
    job.cancel()


with ThreadPoolExecutor(n) as pool:
    list(pool.map(cancelled, range(n)))
os._exit(0)  # gone, as a script that ends: it does not wait for the jobs gradio may still run
"""


@pytest.mark.skipif("text-generation" not in REGISTRY, reason="the text generation tab is not served")
def test_cancelled_streams_end_and_leave_only_idle_pool_workers(served, client, tiny):
    """One client submits 48 streamed generations and cancels each after 1 s (gradio cancels every running job of
    the session then, some just handed out: gradio kept their concurrency slots for good, and the next request on
    any unbatched tab waited forever)."""
    demo, url = served
    model, gate = tiny("text-generation"), demo.tabs["text-generation"].runner.gate
    client.predict(model=model, message="Hello", max_new_tokens=2, api_name="/text_generation")  # model loaded
    before = set(threading.enumerate())
    subprocess.run([sys.executable, "-c", CLIENTS, url, model, str(STREAMS)], check=True, timeout=120,
                   capture_output=True)
    deadline = time.monotonic() + 60  # a job handed out while gradio cancelled it runs until gradio sees its client left
    generating = lambda: [t for t in threading.enumerate() if t.name == "stream-generate"]  # noqa: E731
    while time.monotonic() < deadline and (gate.inside or generating()):
        time.sleep(0.2)
    assert not generating()
    assert gate.inside == 0
    new = [t for t in threading.enumerate() if t not in before]
    # anyio's worker threads, in which gradio runs every sync step: at most its limiter's (launch's max_threads) plus
    # anyio's default limiter's 40; idle ones are retired when a call comes after they idled 10 s
    assert {t.name for t in new} <= {"AnyIO worker thread"}, [t.name for t in new]
    assert len(new) <= demo.max_threads + 40
    job = client.submit(model=model, message="Still there?", max_new_tokens=2, api_name="/text_generation")
    assert "inference" in job.result(timeout=60)[3]  # the slots were given back


def job_given_back(second_cancel: bool) -> list:
    """A job's task as gradio's queue makes it (named so that /cancel finds it), its slot given back in a `finally`
    that takes a moment (closing its stream), and /cancel's `cancel_tasks` called on it: once before the job's first
    step, or once it has begun and again while it cleans up. Answers what the job gave back."""
    from gradio import routes, utils

    async def cancelled() -> list:
        freed = []

        async def process_events():
            try:
                await asyncio.sleep(10)
            finally:
                await asyncio.sleep(0.05)
                freed.append("slot")

        task = asyncio.get_running_loop().create_task(process_events())
        utils.set_task_name(task, "session", 4, "event", False)
        if second_cancel:
            await asyncio.sleep(0)  # begun
            first = asyncio.ensure_future(routes.cancel_tasks({"session_4"}))
            await asyncio.sleep(0.01)  # cleaning up when the second /cancel of the session comes
        await routes.cancel_tasks({"session_4"})
        if second_cancel:
            await first
        assert task.done()
        return freed

    gradio_patches.apply()  # as the app does
    answer = {}  # in a thread of its own: the browser tests' playwright keeps an event loop running in this one
    thread = threading.Thread(target=lambda: answer.update(freed=asyncio.run(cancelled())))
    thread.start()
    thread.join(30)
    return answer["freed"]


def test_a_job_cancelled_before_its_first_step_gives_back_its_slot():
    assert job_given_back(second_cancel=False) == ["slot"]  # gradio's: [], the slot taken for good


def test_a_job_cancelled_again_while_it_cleans_up_finishes_its_clean_up():
    assert job_given_back(second_cancel=True) == ["slot"]  # gradio's: [], its stream left open
