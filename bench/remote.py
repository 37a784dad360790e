"""A front app whose text-classification model is remote vs that model served locally, interleaved, loopback only.

    python bench/remote.py                          # 3 interleaved rounds of 20 s loads (tiny: 8 s), 32 clients: ~5 min
    python bench/remote.py --seconds 10 --rounds 2

Two app processes: the backend (`app.py --serve-inference-api`, the model's local folders, batching on: the app's
default) and the front, whose config names the backend's models by endpoint URL
(`/models/<folder name>/pipeline/text-classification`, max_concurrency 64, so the front never throttles 32 clients).
Per model (the BERT-base-size random-weight classifier and the tiny one, bench/run.py's build_models) and round, in
alternating order, 32 clients in this process's threads call the lean JSON API `POST /api/text_classification`:
of the front (front -> InferenceClient -> backend's endpoint route -> batcher -> model) and of the backend itself
(the same process and batcher doing the model work, no hop), the load of bench/loadgen.py's run_load. Texts are 5-60
words of realistic sentences, ~1.3 tokens a word (bench/run.py's varied_texts). Prints requests/s, median and p90
latency of each load, then `summary: ...`: `remote_front_vs_local` (front req/s over local req/s; median over rounds
of each round's ratio, both measured back to back under one machine state) and `front_ms` (median over rounds of the
front's median latency minus the local one's), for base and, prefixed `tiny_`, the tiny model.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_test import wait_until_up
from bench.loadgen import Endpoint, run_load
from bench.run import ENV, WINDOW, build_models, free_port, stop

API = "text_classification"
SECONDS = 20


class App:
    """One app.py process on a free loopback port, its log in a file, stopped (by its own pid) on exit."""

    def __init__(self, name: str, config: Path, logs: Path, args: list[str]):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = logs / f"{name}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py", "--config", str(config), "--port", str(self.port), *args],
                cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self):
        try:
            wait_until_up(self.url, self.process, seconds=180)
        except Exception:  # noqa: BLE001 - said with the log's end
            stop(self.process)
            raise RuntimeError(f"{self.name} did not start; its log ends:\n{self.log.read_text()[-3000:]}") from None
        return self

    def __exit__(self, *_):
        stop(self.process)

    def mark(self) -> None:
        """From here on, faults() reads the log (the probe's refusal before it is no load's)."""
        self.since = self.log.stat().st_size

    def faults(self) -> list[str]:
        """The log lines (since mark()) that say something went wrong."""
        with open(self.log, "rb") as log:
            log.seek(getattr(self, "since", 0))
            text = log.read().decode(errors="replace")
        return [line for line in text.splitlines()
                if any(word in line for word in ("ERROR", "Traceback", "WARNING", "Exception", "Busy", " 503"))]


def probe_long_text(front: str, backend: str, model: str) -> str:
    """One text over the 128-token window, by both paths: the local one truncates (the tab asks its pipeline to)."""
    from runtime.tiny import CORPUS

    long = " ".join(CORPUS * 2)  # ~500 tokens
    said = []
    for name, url in (("local", backend), ("front", front)):
        endpoint = Endpoint(url, "api", API)
        try:
            endpoint.call({"model": model, "text": long, "top_k": 1})
            said.append(f"{name} ok")
        except Exception as error:  # noqa: BLE001 - said
            said.append(f"{name} refused: {str(error)[:160]}")
        finally:
            endpoint.close()
    return "; ".join(said)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=SECONDS, help=f"timed length of each base-model load (default "
                   f"{SECONDS:g}; it ends when the calls under way are answered: a batch of 32 takes seconds)")
    p.add_argument("--tiny-seconds", type=float, help="...of each tiny-model load (default: --seconds, at most 8)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-tiny", action="store_true", help="the base-size model only")
    p.add_argument("--models", default=os.path.join(tempfile.gettempdir(), "playground-bench"),
                   help="where the random-weight models are built (bench/run.py's, kept for the next run)")
    args = p.parse_args(argv)
    started = time.perf_counter()
    folder = Path(args.models)
    folder.mkdir(parents=True, exist_ok=True)
    models = build_models(folder)
    sizes = ["base"] if args.no_tiny else ["base", "tiny"]
    tiny_seconds = args.tiny_seconds or min(args.seconds, 8)
    corpus = json.loads((folder / "texts.json").read_text())  # bench/run.py's varied_texts
    stats = json.loads((folder / "texts-figures.json").read_text())
    print(f"{len(corpus)} texts: {stats['words_min']}-{stats['words_max']} words (median {stats['words_median']:g}), "
          f"median {stats['tokens_median']:g} tokens, at most {stats['tokens_max']} ({stats['cut']} cut to fit "
          f"{WINDOW})", flush=True)
    work = Path(tempfile.mkdtemp(prefix="playground-bench-remote-"))
    backend_config = work / "backend.json"
    backend_config.write_text(json.dumps({"models": {"text-classification": [models[s] for s in sizes]}}))
    backend = App("backend", backend_config, work,
                  ["--serve-inference-api", *[a for s in sizes for a in ("--preload", f"text-classification={models[s]}")]])
    results: dict[tuple[str, str], list[dict]] = {}
    front_app = None
    try:
        with backend:
            front_config = work / "front.json"
            front_config.write_text(json.dumps({"models": {"text-classification": [
                {"id": s, "endpoint": f"{backend.url}/models/{s}/pipeline/text-classification", "max_concurrency": 64}
                for s in sizes]}}))  # one gate per server (runtime/remote.py GATES): 64 for both models
            front_app = App("front", front_config, work, ["--preload", f"text-classification={sizes[0]}"])
            with front_app as front:
                print(f"backend {backend.url} (endpoint mode, batching), front {front.url}; logs in {work}")
                print(f"a text over the {WINDOW}-token window: {probe_long_text(front.url, backend.url, 'base')}")
                backend.mark(), front.mark()
                for r in range(args.rounds):
                    for size in sizes:
                        order = ["front", "local"] if (r + sizes.index(size)) % 2 == 0 else ["local", "front"]
                        for contender in order:
                            url = front.url if contender == "front" else backend.url
                            value = run_load(url, "api", size, corpus, args.clients,
                                             args.seconds if size == "base" else tiny_seconds, warmup=1, warm_each=1)
                            results.setdefault((size, contender), []).append(value)
                            print(f"  round {r + 1} {size:<4} {contender:<5} {value['per_second']:7.1f}/s  "
                                  f"p50 {value['p50_ms'] or 0:7.1f} ms  p90 {value['p90_ms'] or 0:7.1f} ms"
                                  + (f"  errors {value['errors']}: {value['first_error']}" if value["errors"] else ""),
                                  flush=True)
    finally:
        faults = {app.name: app.faults() for app in (backend, front_app) if app is not None}
        for name, lines in faults.items():
            print(f"\n{name} log ({work / name}.log), during the loads: {len(lines)} line(s) of errors/warnings"
                  + "".join(f"\n  {line[:240]}" for line in lines[:12]))
    print(f"\n{args.rounds} round(s), loads of {args.seconds:g} s (tiny {tiny_seconds:g} s), {args.clients} clients, "
          f"{time.perf_counter() - started:.0f} s\n")
    print("| model | path | req/s | p50 ms | p90 ms | errors |\n|---|---|---:|---:|---:|---:|")
    summary = {}
    for size in sizes:
        for contender, label in (("local", "backend's own lean API"), ("front", "front app, model remote")):
            runs = results[(size, contender)]
            print(f"| {size} | {label} | {statistics.median(v['per_second'] for v in runs):.1f} | "
                  f"{statistics.median(v['p50_ms'] for v in runs):.1f} | {statistics.median(v['p90_ms'] for v in runs):.1f}"
                  f" | {sum(v['errors'] for v in runs)} |")
        pairs = list(zip(results[(size, "front")], results[(size, "local")]))
        prefix = "" if size == "base" else f"{size}_"
        summary[prefix + "remote_front_vs_local"] = statistics.median(f["per_second"] / l["per_second"] for f, l in pairs)
        summary[prefix + "front_ms"] = statistics.median(f["p50_ms"] - l["p50_ms"] for f, l in pairs)
    print("\nsummary: " + " ".join(f"{k}={v:.2f}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
