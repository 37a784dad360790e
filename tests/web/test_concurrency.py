"""One concurrency limit per group of tabs, whichever way a request comes: Gradio's queue, the lean API, Compare."""

import threading
import time

import httpx
import pytest

from runtime.runner import Busy, Gate


def generating() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "stream-generate" and t.is_alive())


def test_the_queue_and_the_lean_api_share_one_limit(served, client, tiny, config):
    """Two streamed generations through Gradio's queue fill the unbatched tabs' limit (--concurrency 2): a lean API
    request waits for a slot instead of running as a third, and runs as soon as one generation is stopped."""
    demo, url = served
    gate = demo.tabs["text-generation"].runner.gate
    assert gate is demo.tabs["automatic-speech-recognition"].runner.gate and gate.limit == config.concurrency == 2
    model = tiny("text-generation", "tiny-gpt2-chat")
    jobs = [client.submit(model=model, message=f"story {i}", max_new_tokens=1024, do_sample=False,
                          api_name="/text_generation") for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while generating() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert generating() == 2 and gate.inside == 2
        answer = {}
        lean = threading.Thread(target=lambda: answer.update(reply=httpx.post(
            f"{url}api/text_generation", json={"model": model, "message": "hi", "max_new_tokens": 2}, timeout=120)))
        lean.start()
        time.sleep(1.5)
        assert lean.is_alive() and gate.waiting == 1 and gate.inside == 2  # it waits: no third model call
        jobs[0].cancel()
        lean.join(60)
        assert not lean.is_alive() and answer["reply"].status_code == 200
    finally:
        for job in jobs:
            job.cancel()
    deadline = time.monotonic() + 10
    while generating() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gate.most_inside <= 2 and gate.inside == 0


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_a_gate_lets_limit_in_and_waiting_wait_and_says_busy_beyond():
    gate, release = Gate(limit=1), threading.Event()

    def hold():
        with gate.slot(waiting=1):
            release.wait(10)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    threads[0].start()
    wait_until(lambda: gate.inside == 1)
    threads[1].start()
    wait_until(lambda: gate.waiting == 1)  # the second waits for the slot
    with pytest.raises(Busy):  # one waits already: a caller that allows one waiting is told Busy
        with gate.slot(waiting=1):
            pass
    release.set()
    for thread in threads:
        thread.join(10)
    assert (gate.inside, gate.waiting, gate.most_inside) == (0, 0, 1)
    with gate.slot(waiting=0):  # and it serves again
        assert gate.inside == 1
