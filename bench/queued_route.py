"""Gradio's queued API on the tiny model: this app against plain `gr.Interface(batch=True)`, and what each of the
per-request savings buys (issue 18's goal: the queued API never below plain `batch=True`).

    python -m bench.queued_route                 # 5 rounds of 6 s loads, 32 clients
    python -m bench.queued_route --rounds 9

Every contender is up at once, each in its own process on loopback, the tiny text classifier of bench/run.py
preloaded: plain Gradio (bench/plain_gradio_server.py), this app, and this app with one saving undone at a time
(gradio's monitoring summary rebuilt after every event, as gradio has it; a patch of web/gradio_patches off). Per
round, in rotating order, each takes the same load from bench/loadgen.py (its own process; /gradio_api/call, varied
texts). Prints medians of req/s over rounds, each over plain Gradio's, and the server's CPU per request.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.gradio_patches import cpu_seconds
from bench.run import ENV, ROOT, build_models, free_port, load, stop, wait_http

CONTENDERS = {  # name -> environment for app.py (None: plain Gradio)
    "plain Gradio, batch=True": None,
    "this app": {},
    "this app, monitoring summary per event": {"GRADIO_ANALYTICS_CACHE_FREQUENCY": "1"},
    "this app, inline_widgets off": {"PLAYGROUND_GRADIO_PATCHES": "inline_widgets"},
}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=6)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--models", default=os.path.join(tempfile.gettempdir(), "playground-bench"))
    args = p.parse_args(argv)
    folder = Path(args.models)
    folder.mkdir(parents=True, exist_ok=True)
    tiny = build_models(folder)["tiny"]
    (folder / "tiny.json").write_text(json.dumps({"models": {"text-classification": [tiny]}}))
    servers = {}
    try:
        for name, env in CONTENDERS.items():
            port = free_port()
            if env is None:
                cmd = [sys.executable, "-m", "bench.plain_gradio_server", "--port", str(port), "--model", tiny]
            else:
                cmd = [sys.executable, "app.py", "--config", str(folder / "tiny.json"), "--port", str(port),
                       "--preload", f"text-classification={tiny}"]
            environment = {**ENV, "PLAYGROUND_TASKS": "text-classification", **(env or {})}
            process = subprocess.Popen(cmd, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            servers[name] = (process, f"http://127.0.0.1:{port}")
        for name, (process, url) in servers.items():
            wait_http(url + "/", process)
            load(url, "call", tiny, folder, args.clients, 2, 100_000)  # warm: the batcher and the connections
        rates = {name: [] for name in servers}
        cpu = {name: [] for name in servers}
        names = list(servers)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:
                process, url = servers[name]
                before = cpu_seconds(process.pid)
                measured = load(url, "call", tiny, folder, args.clients, args.seconds, 100_000)
                rates[name].append(measured["per_second"])
                cpu[name].append((cpu_seconds(process.pid) - before) * 1000 / max(1, measured["ok"]))
            print(f"round {r + 1}: " + ", ".join(f"{n} {v[-1]:.0f}" for n, v in rates.items()), file=sys.stderr,
                  flush=True)
    finally:
        for process, _ in servers.values():
            stop(process)
    plain = statistics.median(rates[names[0]])
    print(f"\n{args.rounds} rounds of {args.seconds:g} s, {args.clients} clients, tiny model, /gradio_api/call\n\n"
          "| contender | req/s | over plain | server CPU per request |\n|---|---:|---:|---:|")
    for name in names:
        rate = statistics.median(rates[name])
        print(f"| {name} | {rate:.1f} | {rate / plain:.2f} | {statistics.median(cpu[name]):.2f} ms |")


if __name__ == "__main__":
    main()
