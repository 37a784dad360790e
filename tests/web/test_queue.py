"""gradio's queue waits to be woken instead of polling every millisecond (web/gradio_patches/queue.py)."""

import json
import threading
import time
import urllib.request

import gradio as gr
import gradio.queueing
import pytest

from web import server as serving
from web.gradio_patches import queue as quiet_queue
from web.gradio_patches.queue import polite_queue


@pytest.fixture
def server():
    """A small app served as main() serves it: (demo, url, its queue's two loops by name)."""
    with gr.Blocks() as demo:
        text, out = gr.Textbox(), gr.Textbox()
        gr.Button().click(lambda t: t[::-1], text, out, api_name="reverse")
        gr.Button().click(lambda t: time.sleep(0.3) or t.upper(), text, out, api_name="slow", concurrency_limit=1)
    _, url, _ = serving.serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", quiet=True,
                              ssr_mode=False)
    try:
        for _ in range(200):  # the loops start with the server's start-up events
            loops = [loop for loop in quiet_queue.ASYNCIO.loops.values() if loop.queue is demo._queue]
            if len(loops) == 2:
                break
            time.sleep(0.01)
        yield demo, url, {loop.name: loop for loop in loops}
    finally:
        demo.close()


def call(url: str, api_name: str, text: str) -> str:
    request = urllib.request.Request(f"{url}gradio_api/call/{api_name}", data=json.dumps({"data": [text]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        event = json.load(answer)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api_name}/{event}", timeout=30) as answer:
        lines = answer.read().decode().splitlines()
    assert "event: complete" in lines, lines
    return json.loads(lines[lines.index("event: complete") + 1].removeprefix("data: "))[0]


def test_an_idle_queue_sleeps_instead_of_looking_every_millisecond(server):
    demo, _, tasks = server
    assert gradio.queueing.asyncio is quiet_queue.ASYNCIO
    assert set(tasks) == {"start_processing", "start_progress_updates"}
    before = [(loop.woken, loop.timeouts) for loop in tasks.values()]
    time.sleep(0.6)
    for (woken, timeouts), loop in zip(before, tasks.values()):
        looks = loop.woken - woken + loop.timeouts - timeouts
        assert looks <= 0.6 / quiet_queue.IDLE_CHECK + 2  # gradio's own: ~600 and ~60 looks
        assert loop.woken == woken  # nothing happened, nobody woke it


def test_each_request_wakes_the_queue_and_gets_its_own_answer(server):
    _, url, tasks = server
    hand_out = tasks["start_processing"]
    woken = hand_out.woken
    for i in range(20):
        assert call(url, "reverse", f"request {i}") == f"request {i}"[::-1]
    assert hand_out.woken >= woken + 20  # handed out on being woken, not when the idle check ran out


def test_requests_over_a_concurrency_limit_run_as_each_slot_frees(server):
    _, url, tasks = server
    hand_out, progress = tasks["start_processing"], tasks["start_progress_updates"]
    answers, idle_while_running = {}, []

    def ask(i):
        answers[i] = call(url, "slow", f"caller {i}")

    callers = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for caller in callers:
        caller.start()
    time.sleep(0.15)
    idle_while_running.append(progress.idle())  # a job runs: the progress loop watches it as gradio does
    for caller in callers:
        caller.join(30)
    assert answers == {i: f"CALLER {i}" for i in range(4)}  # limit 1: one at a time, each woken by the last's end
    assert idle_while_running == [False] and progress.idle() and hand_out.idle()


def test_quieting_twice_wraps_once(server):
    demo, url, _ = server
    push = demo._queue.push
    assert quiet_queue.quiet(demo._queue) and demo._queue.push is push
    assert call(url, "reverse", "abc") == "cba"
