"""Bounded loopback load test: concurrent clients speak the HTTP API, every answer is checked against its own input.

    python bench/load_test.py                       # 300 requests, 16 clients, every task, tiny models
    python bench/load_test.py --requests 60 --clients 8

Builds the tiny models, launches `app.py` on 127.0.0.1 on a free port, warms it up, sends the requests mixed
across every task in the registry (POST /gradio_api/call/<api_name>, then reads the event stream), compares each
answer's raw JSON with the same call made in this process on the same tiny model (so an answer given to the
wrong request shows), and prints throughput, latency percentiles and the server's RSS after warm-up and after
the run. It stops by itself: at most --max-seconds, then the server is terminated.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Request:
    task: object  # runtime.spec.Task
    model: str
    values: dict  # the run's values by name (inputs, parameters, a chat's history): local file paths for files
    files: tuple  # names of the values that are files to upload
    parameters: tuple  # the API's parameter names, in the order the HTTP API takes them (web/tab.py Tab.values)
    output_names: tuple  # the names of the answer's values, in order (web/tab.py Tab.output_names)
    expected: object = None  # raw JSON computed in-process
    sent: dict = field(default_factory=dict)  # name -> what goes over HTTP where it differs from the value


def mixed_tasks(registry) -> list:
    """The tasks the load mixes: all but text-to-audio, whose tiny VITS answers 3344 samples in the server and 3136
    in-process for the same seed and text, so the cross-talk check cannot tell its answers apart (open)."""
    return [t for t in registry.values() if t.name != "text-to-audio"]


def build_requests(tasks, tabs, models: dict, count: int, workdir: Path) -> list[Request]:
    """`count` requests spread over the tasks, each with its own input (derived from the task's widget types).
    `tabs`: the app's built tabs by task name (build_demo's `demo.tabs`), whose widgets and names the requests use."""
    import gradio as gr

    from runtime.tiny import CORPUS

    requests = []
    usable = [t for t in tasks if t.name in models]
    for i in range(count):
        task = usable[i % len(usable)]
        tab = tabs[task.name]
        example = task.examples[0] if task.examples else {}  # inputs it leaves out keep their widget's default
        texts = [name for name, w in tab.inputs.items() if isinstance(w, (gr.Textbox, gr.MultimodalTextbox))]
        varied = (texts or list(tab.inputs))[0]  # differs per request; the others keep the example's value
        values, files, sent = {}, [], {}
        for name, widget in tab.inputs.items():
            value, first = example.get(name, widget.value), name == varied
            if isinstance(widget, gr.MultimodalTextbox):
                value = {"text": f"{value['text']} Request {i}." if first else value["text"],
                         "files": [str(ROOT / f) for f in value.get("files", [])]}
                files.append(name)
            elif isinstance(widget, gr.Dataframe):  # sent as {headers, data}; the task gets what gradio makes of it
                from gradio.components.dataframe import DataframeData

                sent[name], value = value, widget.preprocess(DataframeData(**value))
            elif isinstance(widget, gr.Textbox):
                value = f"{value or CORPUS[i % len(CORPUS)]} Request {i}." if first else value
            elif isinstance(widget, gr.Image):
                value = image_file(workdir, i) if first else value and str(ROOT / value)  # optional: may be None
                files += [name] if value else []
            elif isinstance(widget, gr.Audio):
                value = audio_file(workdir, i) if first else str(ROOT / value)
                files.append(name)
            elif isinstance(widget, (gr.File, gr.Video)):
                if isinstance(value, (list, tuple)):  # several files: the first one differs per request
                    value = [image_file(workdir, i) if first and widget.file_types == ["image"] and not j
                             else str(ROOT / f) for j, f in enumerate(value)]
                else:
                    value = str(ROOT / value)
                files.append(name)
            values[name] = value
        # greedy where sampling is a choice: every request then has exactly one right answer to check
        values |= {name: False if isinstance(p, gr.Checkbox) and (p.elem_id or "").endswith("do-sample") else p.value
                   for name, p in tab.params.items()}
        values |= {name: widget.value for name, widget in tab.values.items()  # the rest: e.g. a chat's history, empty
                   if name not in values and name != "model"}
        requests.append(Request(task, models[task.name], values, tuple(files), tuple(tab.values),
                                tuple(tab.output_names), sent=sent))
    return requests


def image_file(workdir: Path, i: int) -> str:
    """A distinct small picture per request: colour bands that depend on i."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(i)
    pixels = (rng.random((48, 64, 3)) * 255).astype("uint8")
    path = workdir / f"image-{i}.png"
    Image.fromarray(pixels).save(path)
    return str(path)


def audio_file(workdir: Path, i: int) -> str:
    """A distinct second of sound per request: a tone whose pitch depends on i, with some noise."""
    import numpy as np

    rate = 16000
    t = np.arange(rate) / rate
    rng = np.random.default_rng(i)
    samples = 0.4 * np.sin(2 * math.pi * (200 + 37 * i) * t) + 0.05 * rng.standard_normal(rate)
    path = workdir / f"audio-{i}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return str(path)


def expected_answers(requests: list[Request], config) -> None:
    """The raw JSON each request should get, computed here with the same tiny model, one call at a time."""
    from runtime.models import ModelCache
    from runtime.runner import jsonable

    models = ModelCache()
    for r in requests:
        choice = config.resolve(r.task, r.model)
        pipe = models.get(r.task, choice).pipe
        call = r.task.prepare(**r.values, limits=config.limits)
        result = r.task.call(pipe, call)
        if r.task.streams:
            result = list(result)[-1]
        r.expected = json.loads(json.dumps(jsonable(result)))


def same(a, b, tolerance=1e-4) -> bool:
    """Equal JSON, floats within tolerance (a batched forward pass rounds slightly differently)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tolerance
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b))
    return a == b


def send(http, url: str, r: Request, timeout: float = 120.0) -> dict:
    """One request through the HTTP API: upload its files, POST the call, read the event stream to the end; the
    answer's values by name."""
    def upload(path: str) -> dict:
        with open(path, "rb") as f:
            uploaded = http.post(f"{url}/gradio_api/upload", files={"files": (Path(path).name, f)}, timeout=timeout)
        uploaded.raise_for_status()
        return {"path": uploaded.json()[0], "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}

    data = {"model": r.model} | {name: r.sent.get(name, value) for name, value in r.values.items()}
    for name in r.files:  # one file, several, or a message with files
        value = r.values[name]
        if isinstance(value, dict):
            data[name] = {**value, "files": [upload(f) for f in value["files"]]}
        else:
            data[name] = [upload(f) for f in value] if isinstance(value, list) else upload(value)
    api = r.task.api_name
    posted = http.post(f"{url}/gradio_api/call/{api}", json={"data": [data[name] for name in r.parameters]},
                       timeout=timeout)  # the HTTP API takes the values in the order of the API's parameters
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event, payload = None, None
    with http.stream("GET", f"{url}/gradio_api/call/{api}/{event_id}", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
                if event in ("complete", "error"):
                    break
    if event != "complete":
        raise RuntimeError(f"{api}: {event}: {payload}")
    return dict(zip(r.output_names, json.loads(payload), strict=True))


def run(url: str, requests: list[Request], clients: int, max_seconds: float) -> dict:
    """Sends all requests from `clients` threads; returns counts, latencies and the mismatches."""
    import httpx

    local = threading.local()
    deadline = time.monotonic() + max_seconds
    latencies, failures, mismatches = [], [], []
    lock = threading.Lock()

    def one(r: Request):
        if time.monotonic() > deadline:
            with lock:
                failures.append(f"{r.task.name}: not sent, the run hit its {max_seconds:.0f} s limit")
            return
        http = getattr(local, "http", None) or setattr(local, "http", httpx.Client()) or local.http
        begin = time.perf_counter()
        try:
            outputs = send(http, url, r, timeout=max(1.0, deadline - time.monotonic()))
        except Exception as error:  # counted, never raised: the run goes on
            with lock:
                failures.append(f"{r.task.name}: {error}"[:300])
            return
        with lock:
            latencies.append(time.perf_counter() - begin)
            raw = outputs["raw"]
            if not same(raw, r.expected):
                mismatches.append(f"{r.task.name} {next(iter(r.values.values()))!r:.60}: got {json.dumps(raw)[:120]}, "
                                  f"expected {json.dumps(r.expected)[:120]}")

    begin = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, requests))
    seconds = time.perf_counter() - begin
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")  # noqa: E731
    return {
        "requests": len(requests), "clients": clients, "ok": len(latencies) - len(mismatches),
        "failures": failures, "mismatches": mismatches, "seconds": seconds,
        "per_second": len(latencies) / seconds if seconds else 0.0,
        "p50": pick(0.5), "p95": pick(0.95), "max": latencies[-1] if latencies else float("nan"),
        "distinct_answers": len({json.dumps(r.expected, sort_keys=True) for r in requests}),
    }


def report(stats: dict, requests: list[Request]) -> str:
    by_task = {}
    for r in requests:
        by_task[r.task.name] = by_task.get(r.task.name, 0) + 1
    lines = [
        f"{stats['requests']} requests from {stats['clients']} clients over {len(by_task)} tasks "
        f"({', '.join(f'{k} {v}' for k, v in by_task.items())}); {stats['distinct_answers']} distinct expected answers",
        f"ok {stats['ok']}, failures {len(stats['failures'])}, mismatched answers {len(stats['mismatches'])}",
        f"{stats['seconds']:.1f} s, {stats['per_second']:.1f} req/s, latency p50 {stats['p50'] * 1000:.0f} ms, "
        f"p95 {stats['p95'] * 1000:.0f} ms, max {stats['max'] * 1000:.0f} ms",
    ]
    lines += [f"  failure: {f}" for f in stats["failures"][:10]]
    lines += [f"  mismatch: {m}" for m in stats["mismatches"][:10]]
    return "\n".join(lines)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (gradio may spawn none; counted anyway)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.returncode}")
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the app did not answer within {seconds:.0f} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--max-seconds", type=float, default=600, help="the whole run stops after this")
    p.add_argument("--tiny-dir", help="reuse tiny models built here (default: a temporary folder)")
    args = p.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    from app import build_demo
    from runtime.config import Config
    from runtime.models import ModelCache
    from runtime.tiny import build_all
    from tests.tiny_models import tiny_models
    from tasks import REGISTRY

    mixed = mixed_tasks(REGISTRY)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config_path = build_all(Path(args.tiny_dir or tmp / "tiny"), tiny_models(REGISTRY))
        config = Config.load(config_path)
        models = {task: choices[0].id for task, choices in config.models.items()}
        tabs = build_demo(config, ModelCache()).tabs  # the app's tabs, as the server builds them: widgets and names
        requests = build_requests(mixed, tabs, models, args.requests, tmp)
        warm = build_requests(mixed, tabs, models, 4 * len(models), tmp)
        expected_answers(requests + warm, config)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--config", str(config_path), "--port", str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(url, server, seconds=120)
            warm_stats = run(url, warm, args.clients, max_seconds=120)
            rss_warm = rss_bytes(server.pid)
            stats = run(url, requests, args.clients, max_seconds=args.max_seconds)
            rss_after = rss_bytes(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    print(report(stats, requests))
    growth = (rss_after - rss_warm) / rss_warm
    print(f"server RSS after warm-up {rss_warm / 2**20:.0f} MiB, after the run {rss_after / 2**20:.0f} MiB "
          f"({growth:+.1%}); warm-up failures {len(warm_stats['failures'])}")
    good = not stats["failures"] and not stats["mismatches"] and not warm_stats["failures"] and growth <= 0.10
    for failure in warm_stats["failures"][:5]:
        print(f"  warm-up failure: {failure}")
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
