"""The serving benchmark: in-process limit vs the seed-style FastAPI server vs this app, interleaved, loopback only.

    python -m bench.run            # 3 interleaved rounds of 12 s loads; ratios are medians over rounds
    python -m bench.run --quick    # 1 round of 5 s loads (under 3 minutes on 2 cores)

Builds a random-weight BERT-base-size classifier and a tiny one locally, then per model and round runs, in
rotating order: the pipeline in-process (batches of 32), the seed-style FastAPI server, and this app (its lean
JSON route /api/<task>, and Gradio's queued API /gradio_api/call; with --direct also Gradio's /gradio_api/run),
each server in its own process, the load from another process. Then streaming generation's first token
(bench/first_token.py), memory under model churn (bench/churn.py), and 16 visitors opening the page at once. Ends with `summary: ...` (ratios of
medians over rounds), so runs can be compared: the first keys are this app's lean API, `queued_*` its Gradio API.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}
WORDS = ("the movie was wonderful and moving", "a boring film that was far too long", "my cat sleeps in the sun",
         "the invoice total is large", "rockets fly astronauts into space", "the weather is sunny today")


def build_models(folder: Path) -> dict:
    """A BERT-base-size classifier (12 layers, hidden 768) and the tiny one of the text-classification task."""
    code = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import torch
from transformers import BertConfig, BertForSequenceClassification
from runtime.tiny import save, wordpiece_tokenizer
from tests.tasks.test_text_classification import TINY
torch.manual_seed(0)
out = Path({str(folder)!r})
if not (out / "base" / "config.json").exists():
    tok = wordpiece_tokenizer()
    config = BertConfig(vocab_size=tok.vocab_size, max_position_embeddings=128,
                        id2label={{0: "NEGATIVE", 1: "POSITIVE"}}, label2id={{"NEGATIVE": 0, "POSITIVE": 1}})
    save(out / "base", BertForSequenceClassification(config), tok)
if not (out / "tiny" / "config.json").exists():
    TINY[0].build(out / "tiny")
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=ROOT, capture_output=True)
    texts = [f"{i}: {WORDS[i % 6]} and {WORDS[(i // 6) % 6]}" for i in range(512)]  # distinct, ~15 tokens
    (folder / "texts.json").write_text(json.dumps(texts))
    (folder / "playground.json").write_text(json.dumps(
        {"models": {"text-classification": [str(folder / "base"), str(folder / "tiny")]}}))
    return {"base": str(folder / "base"), "tiny": str(folder / "tiny")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until url answers 200 (polled every 20 ms)."""
    begin = time.perf_counter()
    while time.perf_counter() - begin < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - begin
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Server:
    """A server process with both models loaded, on a free loopback port, stopped (by its own pid) on exit."""

    def __init__(self, kind: str, models: dict, folder: Path, app_args: list[str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if kind == "seed":
            cmd = [sys.executable, "-m", "bench.seed_server", "--port", str(self.port)]
            cmd += [a for m in models.values() for a in ("--model", m)]
            self.ready = self.url + "/health"
        else:
            cmd = [sys.executable, "app.py", "--config", str(folder / "playground.json"), "--port", str(self.port),
                   *app_args]
            cmd += [a for m in models.values() for a in ("--preload", f"text-classification={m}")]
            self.ready = self.url + "/"
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self):
        wait_http(self.ready, self.process)
        return self

    def __exit__(self, *_):
        stop(self.process)


def stop(process: subprocess.Popen) -> None:
    """Terminates a server process, killing it if it has not ended within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load(url, kind, model, folder, clients, seconds, max_requests, warmup=4) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", "--url", url, "--kind", kind, "--model", model, "--texts",
         str(folder / "texts.json"), "--clients", str(clients), "--seconds", str(seconds),
         "--max-requests", str(max_requests), "--warmup", str(warmup)],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def inprocess(models: dict, folder, seconds, singles) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess", "--texts", str(folder / "texts.json"), "--seconds", str(seconds),
         "--singles", str(singles), "--singles-for", models["tiny"],
         *[a for m in models.values() for a in ("--model", m)]],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def room(url: str, visitors: int = 16, turns: int = 3) -> dict:
    """A room opening the shared link at once: seconds until all `visitors` have the page, and bytes each got. This
    app's page (rendered once, compressed as Chromium asks) vs gradio's own render of it, which `?deep_link=` gets
    (an empty deep link passes the page cache and gradio renders the same page). Turns alternate; medians."""
    import threading

    ways = {"gradio": (url + "/?deep_link=", {}), "app": (url + "/", {"Accept-Encoding": "gzip, deflate, br, zstd"})}
    seconds: dict = {name: [] for name in ways}
    sizes: dict = {}
    for turn in range(turns):
        for name in (ways if turn % 2 == 0 else list(ways)[::-1]):
            address, headers = ways[name]
            got = []

            def visit():
                with urllib.request.urlopen(urllib.request.Request(address, headers=headers), timeout=120) as answer:
                    got.append(len(answer.read()))

            begin = time.perf_counter()
            threads = [threading.Thread(target=visit) for _ in range(visitors)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds[name].append(time.perf_counter() - begin)
            if len(got) != visitors:
                raise RuntimeError(f"{visitors - len(got)} of {visitors} visitors got no page from {address}")
            sizes[name] = statistics.median(got)
    return {f"{name}_{what}": value for name in ways
            for what, value in (("s", statistics.median(seconds[name])), ("bytes", sizes[name]))}


def cold_start(folder: Path) -> tuple[float, float]:
    """(seconds of `python -c "import gradio"`, seconds from `python app.py` to the first 200 on /)."""
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gradio"], cwd=ROOT, env=ENV, check=True)
    gradio_seconds = time.perf_counter() - begin
    port = free_port()
    begin = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--config", str(folder / "playground.json"), "--port",
                                str(port)], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"http://127.0.0.1:{port}/", process)
        app_seconds = time.perf_counter() - begin
    finally:
        stop(process)
    return gradio_seconds, app_seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 round, 5 s loads")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3; 1 with --quick)")
    p.add_argument("--seconds", type=float, help="length of each load (default 12; 5 with --quick)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--max-requests", type=int, default=5000, help="cap on requests per load")
    p.add_argument("--models", default=os.path.join(tempfile.gettempdir(), "playground-bench"),
                   help="where the random-weight models are built (kept for the next run)")
    p.add_argument("--direct", action="store_true", help="also load Gradio's direct route (/gradio_api/run)")
    p.add_argument("--app-args", default="", help="extra flags for app.py, e.g. '--batch-size 32'")
    args = p.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (5 if args.quick else 12)
    folder = Path(args.models)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    models = build_models(folder)
    app_args = args.app_args.split()
    kinds = ["api", "call", "run"] if args.direct else ["api", "call"]
    results: dict[tuple, list[dict]] = {}

    def record(key, value):
        results.setdefault(key, []).append(value)
        print(f"  {' '.join(key):<28} {value['per_second']:8.1f}/s"
              + (f"  p50 {value['p50_ms']:.1f} ms" if value.get("p50_ms") else "")
              + (f"  errors {value['errors']}: {value['first_error']}" if value.get("errors") else ""), flush=True)

    for r in range(rounds):
        order = ["inprocess", "seed", "app"]
        order = order[r % 3:] + order[: r % 3]  # rotate so no contender always runs first
        for contender in order:
            if contender == "inprocess":
                measured = inprocess(models, folder, seconds / 2, singles=50)  # x2: main and worker thread
                for size, model in models.items():
                    record((size, "inprocess"), measured[model])
                continue
            with Server(contender, models, folder, app_args) as server:
                for kind in ["seed"] if contender == "seed" else kinds:
                    for size, model in models.items():
                        record((size, kind), load(server.url, kind, model, folder, args.clients, seconds,
                                                  args.max_requests))
                    # one client, back to back, tiny model: the round trip over the in-process call
                    record(("tiny", kind, "1-client"), load(server.url, kind, models["tiny"], folder, 1,
                                                            seconds / 2, 100))
                if contender == "app":
                    pages = room(server.url)
                    record(("page", "room"), {"per_second": 16 / pages["app_s"], **pages,
                                              "p50_ms": pages["app_s"] * 1000})
        for _ in range(5 if args.quick else 3):  # pairs, interleaved: one start-up each is a noisy sample
            cold = cold_start(folder)
            record(("cold", "start"), {"per_second": 0, "gradio": cold[0], "app": cold[1], "p50_ms": cold[1] * 1000})

    churn = json.loads(subprocess.run(
        [sys.executable, "-m", "bench.churn", "--models", str(folder / "churn")],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True).stdout)
    first = json.loads(subprocess.run(
        [sys.executable, "-m", "bench.first_token", "--models", str(folder), "--runs", "5" if args.quick else "9"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True).stdout)
    med = {k: statistics.median(v["per_second"] for v in vs) for k, vs in results.items()}
    p50 = {k: statistics.median(v["p50_ms"] for v in vs if v.get("p50_ms") is not None) for k, vs in results.items()
           if any(v.get("p50_ms") is not None for v in vs)}
    print(f"\n{rounds} round(s), {seconds:g} s loads, {args.clients} clients, {time.perf_counter() - started:.0f} s"
          f"\n\n| contender | base (req/s) | tiny (req/s) | tiny, 1 client p50 |\n|---|---:|---:|---:|")
    rows = [("in-process pipeline, batch 32 (sent/s)", "inprocess", ("tiny", "inprocess")),
            ("seed-style FastAPI server", "seed", ("tiny", "seed", "1-client")),
            ("this app, lean JSON API (/api/<task>)", "api", ("tiny", "api", "1-client")),
            ("this app, Gradio's queued API (/gradio_api/call)", "call", ("tiny", "call", "1-client")),
            ("this app, Gradio's direct route (/gradio_api/run)", "run", ("tiny", "run", "1-client"))]
    for label, kind, latency in rows:
        if ("tiny", kind) not in med:
            continue
        lat = f"{p50[latency]:.1f} ms" if latency in p50 else ""
        print(f"| {label} | {med[('base', kind)]:.1f} | {med[('tiny', kind)]:.1f} | {lat} |")
    colds = results[("cold", "start")]
    gradio_s = statistics.median(c["gradio"] for c in colds)
    app_s = statistics.median(c["app"] for c in colds)
    # each pair runs back to back: its ratio is taken under one machine state (this machine drifts 3.2-5 s)
    cold_ratio = statistics.median(c["app"] / c["gradio"] for c in colds)
    print(f"\nmemory under churn: 6 models in turn, twice round, budget {churn['budget_mb']:.0f} MB (2 models): "
          f"resident memory grew at most {churn['max_growth_mb']:.0f} MB ({churn['ratio']:.2f}x the budget)")
    print(f"first token of streaming generation ({first['model']}): the model's own {first['model_ms']:.1f} ms, "
          f"through this app's Gradio API {first['app_ms']:.1f} ms (medians of {first['runs']})")
    rooms = results[("page", "room")]
    page = {k: statistics.median(r[k] for r in rooms) for k in ("app_s", "gradio_s", "app_bytes", "gradio_bytes")}
    print(f"16 visitors opening the page at once: all served in {page['app_s']:.2f} s, {page['app_bytes'] / 1e3:.0f} KB"
          f" each (gradio's own render: {page['gradio_s']:.2f} s, {page['gradio_bytes'] / 1e3:.0f} KB each)")
    pairs = ", ".join(f"{c['app'] / c['gradio']:.2f}" for c in colds)
    print(f"\ncold start ({len(colds)} pairs): `import gradio` {gradio_s:.2f} s, app to first 200 on / {app_s:.2f} s"
          f" (medians); app over gradio per pair: {pairs}")
    summary = dict(
        base_vs_seed=med[("base", "api")] / med[("base", "seed")],
        base_vs_inprocess=med[("base", "api")] / med[("base", "inprocess")],
        tiny_vs_seed=med[("tiny", "api")] / med[("tiny", "seed")],
        overhead_ms=p50[("tiny", "api", "1-client")] - p50[("tiny", "inprocess")],
        cold_start_ratio=cold_ratio,
        memory_churn_ratio=churn["ratio"],
        first_token_ratio=first["ratio"],
        page_room_ratio=page["app_s"] / page["gradio_s"],
    )
    for kind, prefix in (("call", "queued_"), ("run", "direct_")):
        if ("tiny", kind) in med:
            summary[prefix + "base_vs_seed"] = med[("base", kind)] / med[("base", "seed")]
            summary[prefix + "base_vs_inprocess"] = med[("base", kind)] / med[("base", "inprocess")]
            summary[prefix + "tiny_vs_seed"] = med[("tiny", kind)] / med[("tiny", "seed")]
            summary[prefix + "overhead_ms"] = p50[("tiny", kind, "1-client")] - p50[("tiny", "inprocess")]
    print("summary: " + " ".join(f"{k}={v:.2f}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
