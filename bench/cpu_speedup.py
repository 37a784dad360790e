"""CPU speed-ups measured on a text classifier: throughput at batch 32 and single-request latency, each speed-up
against float32 in interleaved rounds, and agreement with float32 on bench/accuracy.py's fixed set.

    python -m bench.cpu_speedup [--rounds 3] [--texts 32] [--singles 6]
    python -m bench.cpu_speedup --model base=<folder> --model tiny=<folder> --texts-file texts.json --json

Without --model it builds a BERT-base-size classifier (random weights) over 5-60-word sentences and prints one line
of key=value figures: cpu_speedup_<s>=throughput ratio to float32, latency_ratio_<s>=median single request latency
over float32's, accuracy_<s>=top-1 agreement, max_score_change_<s> (each key suffixed _<name> when --model names
several). --json prints the raw figures per model instead (bench/run.py reads them).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPEEDUPS = ("none", "bf16", "int8")


def build_bert_base(folder: Path, texts: list[str]) -> None:
    """BertConfig's defaults (12 layers, hidden 768, 12 heads) with random weights and a WordPiece tokenizer."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from runtime.tiny import save, wordpiece_tokenizer

    torch.manual_seed(0)
    tokenizer = wordpiece_tokenizer(vocab_size=8000, model_max_length=512, corpus=texts)
    config = BertConfig(vocab_size=len(tokenizer), num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                        label2id={"NEGATIVE": 0, "POSITIVE": 1}, architectures=["BertForSequenceClassification"])
    save(folder, BertForSequenceClassification(config), tokenizer)


def throughput(pipe, texts: list[str], at_least: float = 0.5) -> float:
    """Texts a second at batch 32: passes over `texts` until `at_least` seconds have gone (one pass of a small
    model's batch takes milliseconds: too short to time on a shared machine)."""
    done, start = 0, time.perf_counter()
    while not done or time.perf_counter() - start < at_least:
        pipe(texts, batch_size=32, truncation=True)
        done += len(texts)
    return done / (time.perf_counter() - start)


def latency(pipe, texts: list[str]) -> float:
    times = []
    for text in texts:
        start = time.perf_counter()
        pipe(text, truncation=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(folder: str, texts: list[str], rounds: int, singles: int, accuracy_inputs: int | None = None) -> dict:
    """One text classifier with every speed-up, loaded by the app's own loader: texts a second at batch 32 and the
    median single request's seconds (medians over interleaved rounds), what ran, and each speed-up's agreement
    with float32 on bench/accuracy.py's fixed set (its first `accuracy_inputs` inputs if given)."""
    from bench.accuracy import agreements, inputs_for
    from runtime.config import ModelChoice
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache
    from tasks import REGISTRY

    task, cache = REGISTRY["text-classification"], ModelCache(DeviceManager("cpu"))  # this model's variants only
    loaded = {s: cache.get(task, ModelChoice(folder, cpu_speedup=s)) for s in SPEEDUPS}
    pipes = {s: loaded[s].pipe for s in SPEEDUPS}
    rows = inputs_for(task)[:accuracy_inputs]
    agreed, _ = agreements(task, pipes["none"], {s: pipes[s] for s in SPEEDUPS[1:]}, rows)  # warms them up too
    rates, waits = {s: [] for s in SPEEDUPS}, {s: [] for s in SPEEDUPS}
    for _ in range(rounds):
        for s in SPEEDUPS:  # interleaved: a noisy neighbour slows every variant alike
            rates[s].append(throughput(pipes[s], texts))
            waits[s].append(latency(pipes[s], texts[:singles]))
    return {"sent_per_s": {s: statistics.median(v) for s, v in rates.items()},
            "single_s": {s: statistics.median(v) for s, v in waits.items()},
            "ran": {s: str(loaded[s].placement) for s in SPEEDUPS},
            "agreement": {s: a.fraction for s, a in agreed.items()},
            "max_score_change": {s: a.worst for s, a in agreed.items()}, "accuracy_inputs": len(rows)}


def figures(found: dict, suffix: str = "") -> dict[str, str]:
    """measure()'s result as key=value figures, ratios to float32."""
    rate, wait = found["sent_per_s"], found["single_s"]
    out = {f"fp32_sent_per_s{suffix}": f"{rate['none']:.1f}", f"fp32_single_ms{suffix}": f"{wait['none'] * 1000:.0f}"}
    for s in SPEEDUPS[1:]:
        out |= {f"cpu_speedup_{s}{suffix}": f"{rate[s] / rate['none']:.2f}x",
                f"latency_ratio_{s}{suffix}": f"{wait[s] / wait['none']:.2f}",
                f"accuracy_{s}{suffix}": f"{found['agreement'][s]:.3f}",
                f"max_score_change_{s}{suffix}": f"{found['max_score_change'][s]:.4f}",
                f"ran_{s}{suffix}": f'"{found["ran"][s]}"'}
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each takes the median")
    p.add_argument("--texts", type=int, default=32, help="texts of 5-60 words per round (one batch of 32)")
    p.add_argument("--singles", type=int, default=6, help="single requests timed per round")
    p.add_argument("--model", action="append", metavar="NAME=FOLDER",
                   help="measure this text classifier (repeatable) instead of building a BERT-base-size one")
    p.add_argument("--texts-file", help="with --model: a JSON list of texts, the first --texts of them timed")
    p.add_argument("--accuracy-inputs", type=int, help="agreement on the fixed set's first N inputs (default: all)")
    p.add_argument("--json", action="store_true", help="print {name: figures} as JSON")
    args = p.parse_args(argv)
    from bench.accuracy import varied_sentences

    with tempfile.TemporaryDirectory() as folder:
        if args.model:
            models = dict(m.split("=", 1) for m in args.model)
            texts = json.loads(Path(args.texts_file).read_text())[: args.texts] if args.texts_file else \
                varied_sentences(args.texts, 5, 60, seed=1)
        else:
            models, texts = {"base": folder}, varied_sentences(args.texts, 5, 60, seed=1)
            build_bert_base(Path(folder), texts)
        found = {name: measure(m, texts, args.rounds, args.singles, args.accuracy_inputs) for name, m in models.items()}
    if args.json:
        json.dump(found, sys.stdout)
    else:
        lines = {k: v for name, f in found.items() for k, v in figures(f, f"_{name}" if len(found) > 1 else "").items()}
        print(" ".join(f"{k}={v}" for k, v in lines.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
