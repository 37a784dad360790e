"""Streaming first-token latency: this app's text generation vs the model's own, on a GPT-2-small-size model.

    python -m bench.first_token              # 7 runs each; one JSON object on stdout, progress on stderr
    python -m bench.first_token --runs 15 --app-args "--concurrency 2"

Builds a random-weight GPT-2-small-size causal LM (12 layers, hidden 768; no chat template, so the app does plain
completion) into DIR/gpt2-size once, then times, for a fixed 30-word prompt (~100 tokens) and 8 greedy new tokens:
- model_ms: transformers.pipeline("text-generation") in a process of its own, called from a thread with a streamer,
  from just before starting the thread to the first generated token decoded. TextIteratorStreamer holds text back
  until a word ends (here 2 tokens, ~60 ms, later), so a subclass notes when the first generated token is decoded:
  the app shows every token as soon as it decodes, so that is the fair comparison;
- app_ms: this app (app.py, the model preloaded) over plain HTTP: from just before POST /gradio_api/call/
  text_generation to the first SSE event whose raw output has a non-empty reply.
The two alternate run by run, each process idle while the other is timed: the cores are shared with other machines'
work, and timed one block after the other the two saw different loads (ratios from 1 to 4 for the same code).
Medians of N runs after one warm-up each; ratio = app_ms / model_ms.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ENV, ROOT, free_port, stop, wait_http

PROMPT = ("The lighthouse keeper climbed the stairs every evening to light the lamp, watching the ships "
          "sail past the rocky coast while the wind carried salt and rain across the harbour")
SETTINGS = {"max_new_tokens": 8, "do_sample": False, "repetition_penalty": 1.0}
APP_VALUES = {"message": PROMPT, "system": "", **SETTINGS}  # by name; the rest keep the tab's defaults


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build_model(folder: Path) -> None:
    """A GPT-2-small-size causal LM, random weights, runtime.tiny's byte-level BPE tokenizer (no chat template)."""
    if (folder / "config.json").exists():
        return
    code = f"""
import torch
from pathlib import Path
from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel
from runtime.tiny import bpe_tokenizer, save
torch.manual_seed(0)
tok = bpe_tokenizer(model_max_length=1024)
model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_layer=12, n_embd=768, n_head=12,
                                   bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                   pad_token_id=tok.pad_token_id))
model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                           pad_token_id=tok.pad_token_id, suppress_tokens=[tok.eos_token_id])
save(Path({str(folder)!r}), model, tok)  # suppress_tokens: as runtime.tiny.causal_lm, so no text ends early
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=ROOT, capture_output=True)


def model_side(folder: str) -> None:
    """The model's own time, in a process of its own (--model-side): one line on stdin, one timed call, one JSON line
    out. The pipeline is called from a worker thread with a streamer, as a server would."""
    import threading

    from transformers import TextIteratorStreamer, pipeline

    class FirstTokenStreamer(TextIteratorStreamer):
        """Notes when the first generated token (the prompt comes first) has been decoded and could be shown."""
        first = None

        def put(self, value):
            prompt = self.next_tokens_are_prompt
            super().put(value)  # decodes the text so far (and queues it only once a word ends)
            if not prompt and self.first is None:
                self.first = time.perf_counter()

    pipe = pipeline("text-generation", model=folder)
    for _ in sys.stdin:
        streamer = FirstTokenStreamer(pipe.tokenizer, skip_prompt=True)
        worker = threading.Thread(target=pipe, args=(PROMPT,), kwargs=dict(
            SETTINGS, return_full_text=False, streamer=streamer))
        begin = time.perf_counter()
        worker.start()
        word = next((time.perf_counter() for text in streamer if text), None)  # TextIteratorStreamer's own first text
        worker.join()
        print(json.dumps({"token_ms": (streamer.first - begin) * 1000,
                          "word_ms": (word - begin) * 1000 if word else None}), flush=True)


def text_generation_tab(config: Path) -> tuple[dict, list[str]]:
    """The app's text-generation tab, built here as the server builds it: (its values by name with their defaults,
    in the order Gradio's HTTP API takes them; the names of its Run event's outputs, in order)."""
    os.environ["PLAYGROUND_TASKS"] = "text-generation"  # this process builds that one tab (the server gets ENV)
    from app import build_demo
    from runtime.config import Config

    tab = build_demo(Config.load(config)).tabs["text-generation"]
    return {name: widget.value for name, widget in tab.values.items()}, tab.output_names


def app_first_reply_ms(port: int, folder: str, tab: tuple[dict, list[str]]) -> float:
    """One request to the app's queued API; its SSE stream read line by line as it arrives, to its end."""
    defaults, output_names = tab
    values = defaults | {"model": folder, **APP_VALUES}  # a new chat: the history is the tab's, empty
    assert values.keys() == defaults.keys(), f"the tab takes no {sorted(values.keys() - defaults.keys())}"
    body = json.dumps({"data": list(values.values())})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    begin, event, first = time.perf_counter(), None, None
    connection.request("POST", "/gradio_api/call/text_generation", body, {"Content-Type": "application/json"})
    event_id = json.loads(connection.getresponse().read())["event_id"]
    connection.request("GET", f"/gradio_api/call/text_generation/{event_id}")
    response = connection.getresponse()
    while line := response.readline():  # read to the end, so that requests do not overlap
        line = line.decode().strip()
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("generating", "complete", "error"):
            data = json.loads(line[5:])
            if event == "error":
                raise RuntimeError(f"the app answered an error: {data}")
            raw = dict(zip(output_names, data, strict=True))["raw"]  # the pipeline's: {"mode": ..., "reply": ...}
            if first is None and raw and raw.get("reply"):
                first = time.perf_counter()
    connection.close()
    if first is None:
        raise RuntimeError("the app's stream ended without any reply")
    return (first - begin) * 1000


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=os.path.join(tempfile.gettempdir(), "playground-bench"),
                   help="where the random-weight model is built (kept for the next run)")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--app-args", default="", help="extra flags for app.py, e.g. '--concurrency 2'")
    p.add_argument("--model-side", metavar="FOLDER", help=argparse.SUPPRESS)  # the process timing the pipeline
    args = p.parse_args(argv)
    if args.model_side:
        return model_side(args.model_side)
    started = time.perf_counter()
    folder = Path(args.models).resolve() / "gpt2-size"
    log(f"building {folder} (if needed)")
    build_model(folder)
    config = folder.parent / "first-token.json"
    config.write_text(json.dumps({"models": {"text-generation": [str(folder)]}}))
    tab = text_generation_tab(config)
    port = free_port()
    log("starting the app and the pipeline's own process")
    server = subprocess.Popen([sys.executable, "app.py", "--config", str(config), "--port", str(port), "--preload",
                               f"text-generation={folder}", *args.app_args.split()],
                              cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    model = subprocess.Popen([sys.executable, "-m", "bench.first_token", "--model-side", str(folder)], cwd=ROOT,
                             env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    model_ms, app_ms = [], []
    try:
        wait_http(f"http://127.0.0.1:{port}/", server)
        for i in range(args.runs + 1):  # interleaved, so both see the same load; the first round warms both up
            model.stdin.write("\n")
            model.stdin.flush()
            if not (line := model.stdout.readline()):
                raise RuntimeError(f"the pipeline's process exited: {model.stderr.read()[-2000:]}")
            own, app = json.loads(line), app_first_reply_ms(port, str(folder), tab)
            word = f"{own['word_ms']:.0f} ms" if own["word_ms"] else "none"
            log(f"  {f'run {i}' if i else 'warm-up'}: model {own['token_ms']:.0f} ms (TextIteratorStreamer's first "
                f"text {word}), app {app:.0f} ms")
            if i:
                model_ms.append(own["token_ms"])
                app_ms.append(app)
    finally:
        for process in (model, server):
            stop(process)
    vocab = json.loads((folder / "config.json").read_text())["vocab_size"]
    log(f"done in {time.perf_counter() - started:.0f} s")
    model_median, app_median = statistics.median(model_ms), statistics.median(app_ms)
    print(json.dumps({"model_ms": round(model_median, 1), "app_ms": round(app_median, 1),
                      "ratio": round(app_median / model_median, 2), "runs": args.runs,
                      "model": f"GPT-2-small-size (12 layers, hidden 768, vocab {vocab}), random weights; "
                               f"{len(PROMPT.split())}-word prompt, 8 greedy new tokens"}))


if __name__ == "__main__":
    main()
