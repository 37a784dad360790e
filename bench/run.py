"""The serving benchmark: in-process limit vs the seed-style FastAPI server vs plain Gradio vs this app, interleaved,
loopback only.

    python -m bench.run            # 3 interleaved rounds of 12 s loads; ratios are medians over rounds
    python -m bench.run --quick    # 1 round of 5 s loads, fewer CPU speed-up rounds and accuracy inputs

Builds a random-weight BERT-base-size classifier and a tiny one locally, and 512 distinct texts of 5-60 words
(varied_texts, the same every run), then per model and round runs, in rotating order: the pipeline in-process
(batches of 32), the seed-style FastAPI server, a plain Gradio `gr.Interface(batch=True, max_batch_size=32)`
(bench/plain_gradio_server.py) and this app (its lean JSON route /api/<task>, and Gradio's queued API
/gradio_api/call; with --direct also Gradio's /gradio_api/run), each server in its own process, the load from
another process (bench/loadgen.py). Then streaming generation's first token (bench/first_token.py), memory under
model churn (bench/churn.py), 16 visitors opening the page at once, and each CPU speed-up against float32 in-process
on both models (bench/cpu_speedup.py, agreement on bench/accuracy.py's fixed set). Ends with `summary: ...` (ratios
of medians over rounds), so runs can be compared: the first keys are this app's lean API, `queued_*` its Gradio API,
`queued_vs_plain_batch_<size>` Gradio's queued API over plain `batch=True`, `cpu_speedup_<s>_<size>` batch-32
throughput over float32's, `cpu_speedup_latency_<s>_base` a single request's latency over float32's (lower is
faster), `accuracy_<s>` top-1 agreement with float32 (base model).
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
WINDOW = 128  # the bench models' max_position_embeddings


def varied_texts(models: dict, count: int = 512, seed: int = 0) -> tuple[list[str], dict]:
    """`count` distinct texts of 5-60 words (uniform), sentences of runtime/tiny.py's CORPUS (reviews, news, an invoice,
    ...) run together and cut at a word; the same ones every run. The bench tokenizers were trained on that corpus:
    ~1.3 tokens a word, as a real BERT tokenizer gives on real text (other English takes ~3, their vocabulary being
    400 pieces). Any text over the 128-token window is cut (word by word) to fit, so that every path does the same
    work whether or not it truncates (the lean API asks its pipeline to; the endpoint protocol of bench/remote.py has
    no word for it: InferenceClient.text_classification takes no truncation). Returns the texts and their word and
    token counts."""
    import random

    from transformers import AutoTokenizer

    from runtime.tiny import CORPUS

    tokenizers = [AutoTokenizer.from_pretrained(m) for m in models.values()]
    sentences = [s for s in CORPUS if s[0].isalpha() and s[0].isupper()]  # not "hello world", nor the symbols line
    rng = random.Random(seed)
    out, cut = [], 0
    while len(out) < count:
        target = rng.randint(5, 60)
        words = []
        while len(words) < target:
            words += rng.choice(sentences).split()
        words = words[:target]
        while max(len(t(" ".join(words))["input_ids"]) for t in tokenizers) > WINDOW:
            words.pop()
        if " ".join(words) not in out:  # distinct texts
            cut += len(words) < target
            out.append(" ".join(words))
    lengths = [len(t.split()) for t in out]
    tokens = [len(tokenizers[0](t)["input_ids"]) for t in out]
    return out, {"words_min": min(lengths), "words_median": statistics.median(lengths), "words_max": max(lengths),
                 "tokens_median": statistics.median(tokens), "tokens_max": max(tokens), "cut": cut}


def build_models(folder: Path) -> dict:
    """A BERT-base-size classifier (12 layers, hidden 768) and the tiny one of the text-classification task, and
    folder/texts.json: varied_texts (its figures in folder/texts-figures.json)."""
    code = f"""
import json, sys; sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import torch
from transformers import BertConfig, BertForSequenceClassification
from bench.run import varied_texts
from runtime.tiny import save, wordpiece_tokenizer
from tests.tasks.test_text_classification import TINY
torch.manual_seed(0)
out = Path({str(folder)!r})
if not (out / "base" / "config.json").exists():
    tok = wordpiece_tokenizer()
    config = BertConfig(vocab_size=tok.vocab_size, max_position_embeddings={WINDOW},
                        id2label={{0: "NEGATIVE", 1: "POSITIVE"}}, label2id={{"NEGATIVE": 0, "POSITIVE": 1}})
    save(out / "base", BertForSequenceClassification(config), tok)
if not (out / "tiny" / "config.json").exists():
    TINY[0].build(out / "tiny")
texts, figures = varied_texts({{"base": str(out / "base"), "tiny": str(out / "tiny")}})
(out / "texts.json").write_text(json.dumps(texts))
(out / "texts-figures.json").write_text(json.dumps(figures))
"""
    done = subprocess.run([sys.executable, "-c", code], env=ENV, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"building the bench models failed:\n{done.stderr[-3000:]}")
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
        if kind in ("seed", "plain"):
            server = {"seed": "bench.seed_server", "plain": "bench.plain_gradio_server"}[kind]
            cmd = [sys.executable, "-m", server, "--port", str(self.port)]
            cmd += [a for m in models.values() for a in ("--model", m)]
            self.ready = self.url + ("/health" if kind == "seed" else "/")
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


def run_json(*args: str) -> dict:
    """`python -m <args>` in a process of its own; what it printed, read as JSON (its stderr's end said if it fails)."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"python -m {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def load(url, kind, model, folder, clients, seconds, max_requests, warmup=4) -> dict:
    """A load from bench/loadgen.py in its own process, so that its client threads take no CPU from this one."""
    return run_json("bench.loadgen", "--url", url, "--kind", kind, "--model", model, "--texts",
                    str(folder / "texts.json"), "--clients", str(clients), "--seconds", str(seconds),
                    "--max-requests", str(max_requests), "--warmup", str(warmup))


def inprocess(models: dict, folder, seconds, singles) -> dict:
    return run_json("bench.inprocess", "--texts", str(folder / "texts.json"), "--seconds", str(seconds),
                    "--singles", str(singles), "--singles-for", models["tiny"],
                    *[a for m in models.values() for a in ("--model", m)])


def cpu_speedups(models: dict, folder, rounds: int, singles: int, accuracy_inputs: int | None = None) -> dict:
    """bench/cpu_speedup.py on both models, in-process at batch 32, on the first 32 of the texts, agreement on
    bench/accuracy.py's fixed set (or its first `accuracy_inputs`): {size: figures}."""
    fewer = ["--accuracy-inputs", str(accuracy_inputs)] if accuracy_inputs else []
    named = [a for size, m in models.items() for a in ("--model", f"{size}={m}")]
    return run_json("bench.cpu_speedup", "--json", "--texts-file", str(folder / "texts.json"), "--rounds", str(rounds),
                    "--singles", str(singles), *fewer, *named)


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

            def visit(address=address, headers=headers, got=got):
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


def plain_and_speedup_keys(med: dict, speed: dict) -> dict[str, float]:
    """The summary's keys for plain Gradio and the CPU speed-ups: `queued_vs_plain_batch_<size>` (Gradio's queued API
    over plain `batch=True`, req/s; the goal: never below 1), `cpu_speedup_<s>_<size>` (batch-32 sent/s over
    float32's), `cpu_speedup_latency_<s>_base` (a single request's median latency over float32's: lower is faster)
    and `accuracy_<s>` (top-1 agreement with float32, base model). `med`: {(size, contender): req/s},
    `speed`: {size: bench/cpu_speedup.py's measure()}."""
    keys = {f"queued_vs_plain_batch_{key[0]}": med[(key[0], "call")] / med[key] for key in med if key[1:] == ("plain",)}
    for size, found in speed.items():
        rate = found["sent_per_s"]
        keys |= {f"cpu_speedup_{s}_{size}": rate[s] / rate["none"] for s in found["agreement"]}
    base = speed["base"]
    keys |= {f"cpu_speedup_latency_{s}_base": base["single_s"][s] / base["single_s"]["none"] for s in base["agreement"]}
    return keys | {f"accuracy_{s}": fraction for s, fraction in base["agreement"].items()}


def summary_line(summary: dict[str, float]) -> str:
    """`summary: key=value ...`, agreement to 3 decimals (0.99 is a threshold), the rest to 2."""
    return "summary: " + " ".join(f"{k}={v:.3f}" if k.startswith("accuracy_") else f"{k}={v:.2f}"
                                  for k, v in summary.items())


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
    figures = json.loads((folder / "texts-figures.json").read_text())
    print(f"{len(json.loads((folder / 'texts.json').read_text()))} texts: {figures['words_min']}-"
          f"{figures['words_max']} words (median {figures['words_median']:g}), median {figures['tokens_median']:g} "
          f"tokens, at most {figures['tokens_max']}", flush=True)
    app_args = args.app_args.split()
    kinds = ["api", "call", "run"] if args.direct else ["api", "call"]
    results: dict[tuple, list[dict]] = {}

    def record(key, value):
        results.setdefault(key, []).append(value)
        print(f"  {' '.join(key):<28} {value['per_second']:8.1f}/s"
              + (f"  p50 {value['p50_ms']:.1f} ms" if value.get("p50_ms") else "")
              + (f"  errors {value['errors']}: {value['first_error']}" if value.get("errors") else ""), flush=True)

    for r in range(rounds):
        order = ["inprocess", "seed", "plain", "app"]
        order = order[r % 4:] + order[: r % 4]  # rotate so no contender always runs first
        for contender in order:
            if contender == "inprocess":
                measured = inprocess(models, folder, seconds / 2, singles=50)  # x2: main and worker thread
                for size, model in models.items():
                    record((size, "inprocess"), measured[model])
                continue
            with Server(contender, models, folder, app_args) as server:
                for kind in kinds if contender == "app" else [contender]:
                    for size, model in models.items():  # the plain Gradio server is called as Gradio's queue is
                        record((size, kind), load(server.url, "call" if kind == "plain" else kind, model, folder,
                                                  args.clients, seconds, args.max_requests))
                    if kind == "plain":  # compared under load only
                        continue
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

    churn = run_json("bench.churn", "--models", str(folder / "churn"))
    first = run_json("bench.first_token", "--models", str(folder), "--runs", "5" if args.quick else "9")
    speed = cpu_speedups(models, folder, *((1, 4, 16) if args.quick else (3, 12, None)))  # rounds, singles, inputs
    med = {k: statistics.median(v["per_second"] for v in vs) for k, vs in results.items()}
    p50 = {k: statistics.median(v["p50_ms"] for v in vs if v.get("p50_ms") is not None) for k, vs in results.items()
           if any(v.get("p50_ms") is not None for v in vs)}
    print(f"\n{rounds} round(s), {seconds:g} s loads, {args.clients} clients, {time.perf_counter() - started:.0f} s"
          f"\n\n| contender | base (req/s) | tiny (req/s) | tiny, 1 client p50 |\n|---|---:|---:|---:|")
    rows = [("in-process pipeline, batch 32 (sent/s)", "inprocess", ("tiny", "inprocess")),
            ("seed-style FastAPI server", "seed", ("tiny", "seed", "1-client")),
            ("plain Gradio, `batch=True` (gr.Interface, /gradio_api/call)", "plain", ()),
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
    print("\nCPU speed-ups in-process, batch 32, 32 of the texts (medians of interleaved rounds):")
    for size, found in speed.items():
        parts = []
        for s, rate in found["sent_per_s"].items():
            part = f"{s} {rate:.1f} sent/s, single {found['single_s'][s] * 1000:.1f} ms"
            if s in found["agreement"]:  # against float32 ("none"), on bench/accuracy.py's fixed set
                part += (f" (ran {found['ran'][s]}, top-1 agreement {found['agreement'][s]:.3f} on"
                         f" {found['accuracy_inputs']} inputs)")
            parts.append(part)
        print(f"  {size}: " + "; ".join(parts))
    summary = {
        "base_vs_seed": med[("base", "api")] / med[("base", "seed")],
        "base_vs_inprocess": med[("base", "api")] / med[("base", "inprocess")],
        "tiny_vs_seed": med[("tiny", "api")] / med[("tiny", "seed")],
        "overhead_ms": p50[("tiny", "api", "1-client")] - p50[("tiny", "inprocess")],
        "cold_start_ratio": cold_ratio,
        "memory_churn_ratio": churn["ratio"],
        "first_token_ratio": first["ratio"],
        "page_room_ratio": page["app_s"] / page["gradio_s"],
    }
    for kind, prefix in (("call", "queued_"), ("run", "direct_")):
        if ("tiny", kind) in med:
            summary[prefix + "base_vs_seed"] = med[("base", kind)] / med[("base", "seed")]
            summary[prefix + "base_vs_inprocess"] = med[("base", kind)] / med[("base", "inprocess")]
            summary[prefix + "tiny_vs_seed"] = med[("tiny", kind)] / med[("tiny", "seed")]
            summary[prefix + "overhead_ms"] = p50[("tiny", kind, "1-client")] - p50[("tiny", "inprocess")]
    summary |= plain_and_speedup_keys(med, speed)
    print(summary_line(summary))

if __name__ == "__main__":
    main()
