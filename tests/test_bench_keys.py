"""The benchmark's shared parts: its texts, its load loop, the summary's keys and the word error rate."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.accuracy import word_error_rate, word_errors, words
from bench.loadgen import run_load
from bench.run import plain_and_speedup_keys, summary_line, varied_texts


def test_word_errors_count_substitutions_insertions_and_deletions():
    assert words("The weather, today!") == ["the", "weather", "today"]
    assert word_errors(["a", "b", "c"], ["a", "x", "c", "d"]) == 2  # one substituted, one inserted
    assert word_errors(["a", "b", "c"], ["a"]) == 2
    assert word_error_rate("The weather today is sunny.", "the weather is sunny") == pytest.approx(1 / 5)


def test_varied_texts_are_distinct_5_to_60_words_and_the_same_every_run(tiny):
    folder = tiny("text-classification")
    texts, figures = varied_texts({"tiny": folder}, count=200)
    lengths = [len(t.split()) for t in texts]
    assert len(set(texts)) == 200
    assert min(lengths) == figures["words_min"] >= 5 and max(lengths) == figures["words_max"] <= 60
    assert sum(n <= 20 for n in lengths) > 30 and sum(n >= 45 for n in lengths) > 30  # spread, not one shape
    assert varied_texts({"tiny": folder}, count=200)[0] == texts


def test_summary_has_plain_batch_cpu_speedup_and_accuracy_keys():
    med = {("base", "call"): 50.0, ("base", "plain"): 40.0, ("tiny", "call"): 150.0, ("tiny", "plain"): 200.0,
           ("tiny", "call", "1-client"): 90.0}
    speed = {size: {"sent_per_s": {"none": 20.0, "bf16": 50.0, "int8": 40.0},
                    "single_s": {"none": 0.04, "bf16": 0.02, "int8": 0.03},
                    "agreement": {"bf16": 1.0, "int8": 0.9796}} for size in ("base", "tiny")}
    keys = plain_and_speedup_keys(med, speed)
    assert keys == pytest.approx({
        "queued_vs_plain_batch_base": 1.25, "queued_vs_plain_batch_tiny": 0.75,
        "cpu_speedup_bf16_base": 2.5, "cpu_speedup_int8_base": 2.0, "cpu_speedup_bf16_tiny": 2.5,
        "cpu_speedup_int8_tiny": 2.0, "cpu_speedup_latency_bf16_base": 0.5, "cpu_speedup_latency_int8_base": 0.75,
        "accuracy_bf16": 1.0, "accuracy_int8": 0.9796})
    line = summary_line({"base_vs_seed": 2.781, **keys})
    assert line.startswith("summary: base_vs_seed=2.78 queued_vs_plain_batch_base=1.25 ")
    assert " accuracy_int8=0.980" in line and " cpu_speedup_latency_int8_base=0.75 " in line


@pytest.fixture
def seed_like():
    """A stand-in for the seed server's POST /classify, counting calls; the text "refuse" is answered 500."""
    calls = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the load's connections expect

        def do_POST(self):
            text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
            calls.append(text)
            status, body = (500, b"refused") if text == "refuse" else (200, b'[{"label": "POSITIVE", "score": 1}]')
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", calls
    finally:
        server.shutdown()
        server.server_close()


def test_load_warms_each_client_up_then_counts_only_timed_calls(seed_like):
    url, calls = seed_like
    found = run_load(url, "seed", "m", [f"text {i}" for i in range(50)], clients=4, seconds=0.3, warmup=2,
                     warm_each=3)
    assert found["errors"] == 0 and found["ok"] > 0
    assert len(calls) == 2 + 4 * 3 + found["ok"]  # one after another, then each client's, then the load
    assert found["p50_ms"] <= found["p90_ms"] and found["per_second"] > 0


def test_load_says_which_server_refused_before_the_load(seed_like):
    url, calls = seed_like
    with pytest.raises(RuntimeError, match=f"{url} answered 'm' with an error before the load: refused"):
        run_load(url, "seed", "m", ["refuse"], clients=2, seconds=0.1, warmup=1)
    assert calls == ["refuse"]
