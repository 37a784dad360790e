"""What each adjustment of gradio's internals (web/gradio_patches) buys, measured with it off against all on.

    python -m bench.gradio_patches            # 3 interleaved rounds
    python -m bench.gradio_patches --rounds 1

Per round, in rotating order, the whole app on the tiny models is started once with every patch on and once with
each patch off (PLAYGROUND_GRADIO_PATCHES=<name>), each in its own process, and measured:
- start: seconds from `python app.py` to the first 200 on /;
- idle CPU: the server's CPU seconds over 5 s with nothing to do;
- 40 calls: the server's CPU seconds (and its memory growth) for 40 Gradio API calls without a session
  (/gradio_api/call/text_classification), one after the other.
Prints a table of medians over rounds and, per patch, what turning it off costs (off minus on).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.run import ENV, ROOT, free_port, stop, wait_http

CALLS = 40


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def call(url: str, model: str) -> None:
    body = json.dumps({"data": [model, "I love this film", 2, "default"]}).encode()
    request = urllib.request.Request(f"{url}gradio_api/call/text_classification", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        event = json.load(answer)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/text_classification/{event}", timeout=60) as stream:
        stream.read()


def measure(config: Path, off: str) -> dict:
    port = free_port()
    env = {**ENV, "PLAYGROUND_GRADIO_PATCHES": off}
    begin = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--config", str(config), "--port", str(port)], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, process)
        start = time.perf_counter() - begin
        model = json.loads(config.read_text())["models"]["text-classification"][0]["id"]
        call(url, model)  # the model loaded, the first call's one-off work done
        time.sleep(1)
        idle_before = cpu_seconds(process.pid)
        time.sleep(5)
        idle = cpu_seconds(process.pid) - idle_before
        cpu_before, rss_before = cpu_seconds(process.pid), rss_mb(process.pid)
        for _ in range(CALLS):
            call(url, model)
        calls_cpu, calls_rss = cpu_seconds(process.pid) - cpu_before, rss_mb(process.pid) - rss_before
    finally:
        stop(process)
    return {"start_s": start, "idle_cpu_s": idle, "calls_cpu_s": calls_cpu, "calls_rss_mb": calls_rss}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--models", default="/tmp/playground-patches-bench", help="where the tiny models are built")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from runtime.tiny import build_all
    from tests.tiny_models import tiny_models
    from tasks import REGISTRY
    from web.gradio_patches import PATCHES

    config = build_all(Path(args.models), tiny_models(REGISTRY))
    variants = ["", *PATCHES]  # "": every patch on
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(args.rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]  # rotate: no variant always first
        for variant in order:
            results[variant].append(measure(config, variant))
            print(f"round {r + 1} {variant or 'all on':16} {results[variant][-1]}", flush=True)
    median = {v: {k: statistics.median(m[k] for m in ms) for k in ms[0]} for v, ms in results.items()}
    print(f"\n{'off':16} {'start s':>8} {'idle CPU s':>11} {f'{CALLS} calls CPU s':>15} {f'{CALLS} calls MB':>13}")
    for variant, m in median.items():
        print(f"{variant or '(all on)':16} {m['start_s']:8.2f} {m['idle_cpu_s']:11.2f} {m['calls_cpu_s']:15.2f} "
              f"{m['calls_rss_mb']:13.1f}")
    base = median[""]
    print("\nwhat turning each off costs (off minus all on):")
    for name in PATCHES:
        m = median[name]
        print(f"summary: {name} start_s={m['start_s'] - base['start_s']:+.2f} "
              f"idle_cpu_s={m['idle_cpu_s'] - base['idle_cpu_s']:+.2f} "
              f"calls_cpu_s={m['calls_cpu_s'] - base['calls_cpu_s']:+.2f} "
              f"calls_rss_mb={m['calls_rss_mb'] - base['calls_rss_mb']:+.1f}")


if __name__ == "__main__":
    main()
