"""Dynamic batching in the served app: settings from flags, env and config; callers over HTTP each get their own
result, batched; bad requests among them fail alone."""

import threading

import pytest

from app import build_demo, parse_args
from bench.loadgen import Endpoint
from runtime.batching import Batcher, BatchSettings
from runtime.config import Config
from tasks import REGISTRY
from tests.runtime.test_batching import SENTENCES, concurrently, pipeline_of
from web.tab import queue_settings


def test_batch_settings_come_from_flags_env_and_config_file(tmp_path, monkeypatch):
    args = parse_args(["--batch-size", "8", "--batch-wait-ms", "2.5", "--concurrency", "3"])
    config = Config.load(None, batch_size=args.batch_size, batch_wait_ms=args.batch_wait_ms,
                         concurrency=args.concurrency)
    assert (config.batch_size, config.batch_wait_ms, config.concurrency) == (8, 2.5, 3)
    monkeypatch.setenv("PLAYGROUND_BATCH_SIZE", "4")
    (tmp_path / "c.json").write_text('{"batch_wait_ms": 7}')
    config = Config.load(tmp_path / "c.json")
    assert (config.batch_size, config.batch_wait_ms, config.concurrency) == (4, 7.0, 2)
    batcher = Batcher(BatchSettings(config.batch_size, config.batch_wait_ms))
    assert queue_settings(REGISTRY["text-classification"], config, batcher)["concurrency_limit"] == 8
    assert queue_settings(REGISTRY["automatic-speech-recognition"], config, batcher) == {
        "concurrency_limit": 2, "concurrency_id": "model"}


@pytest.fixture(scope="module")
def batched_app(config):
    """The whole app with its own batcher (to see its batch sizes), served on 127.0.0.1."""
    batcher = Batcher(BatchSettings(max_size=8, max_wait_ms=50))
    demo = build_demo(config, batcher=batcher)
    try:
        _, url, _ = demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", ssr_mode=False,
                                        quiet=True, max_threads=64)
        yield url, batcher
    finally:
        demo.close()


def test_sixteen_concurrent_api_callers_each_get_their_own_result(batched_app, tiny):
    """Through the real HTTP API, distinct texts: each answer equals the in-process single call on that text."""
    url, batcher = batched_app
    task, folder = REGISTRY["text-classification"], tiny("text-classification")
    pipe = pipeline_of(task, folder)
    want = [task.present(task.call(pipe, task.prepare(s, 2)))["labels"] for s in SENTENCES]
    assert len({round(w["POSITIVE"], 6) for w in want}) > 8  # distinct inputs really give distinct answers
    local = threading.local()

    def ask(text):
        local.endpoint = getattr(local, "endpoint", None) or Endpoint(url, "call")
        return local.endpoint.call({"model": folder, "text": text, "top_k": 2})

    before = len(batcher.sizes)
    answers = concurrently(ask, SENTENCES)
    for answer, expected in zip(answers, want):
        labels = {c["label"]: c["confidence"] for c in answer[0]["confidences"]}
        assert labels.keys() == expected.keys()
        assert all(abs(labels[k] - expected[k]) < 1e-4 for k in labels)
    assert max(batcher.sizes[before:]) > 1


def test_bad_requests_among_concurrent_ones_fail_alone(batched_app, tiny):
    url, _ = batched_app
    folder = tiny("text-classification")
    texts = ["   " if i % 4 == 0 else s for i, s in enumerate(SENTENCES)]  # every 4th is empty
    answers = concurrently(lambda t: Endpoint(url, "call").call({"model": folder, "text": t, "top_k": 2}), texts)
    for text, answer in zip(texts, answers):
        if text.strip():
            assert set(answer[0]["confidences"][0]) == {"label", "confidence"}
        else:
            assert isinstance(answer, RuntimeError) and "Type some text" in str(answer)
