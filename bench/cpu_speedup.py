"""CPU speed-ups measured on a BERT-base-size text classifier (random weights, built here): throughput at batch 32
and single-request latency, each speed-up against float32 in interleaved rounds, and agreement with float32.

    python -m bench.cpu_speedup [--rounds 3] [--texts 32] [--singles 6]

Prints one line of key=value figures: cpu_speedup_<s>=throughput ratio to float32, latency_ratio_<s>=median single
request latency over float32's, accuracy_<s>=top-1 agreement, max_score_change_<s>.
"""

import argparse
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


def throughput(pipe, texts: list[str]) -> float:
    start = time.perf_counter()
    pipe(texts, batch_size=32, truncation=True)
    return len(texts) / (time.perf_counter() - start)


def latency(pipe, texts: list[str]) -> float:
    times = []
    for text in texts:
        start = time.perf_counter()
        pipe(text, truncation=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each takes the median")
    p.add_argument("--texts", type=int, default=32, help="texts of 5-60 words per round (one batch of 32)")
    p.add_argument("--singles", type=int, default=6, help="single requests timed per round")
    args = p.parse_args(argv)
    from bench.accuracy import compare, varied_sentences
    from runtime.config import ModelChoice
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache
    from tasks import REGISTRY

    texts = varied_sentences(args.texts, 5, 60, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        build_bert_base(Path(folder), texts)
        task, cache = REGISTRY["text-classification"], ModelCache(DeviceManager("cpu"))
        loaded = {s: cache.get(task, ModelChoice(folder, cpu_speedup=s)) for s in SPEEDUPS}  # the app's own loader
        pipes = {s: loaded[s].pipe for s in SPEEDUPS}
        answers = {s: [pipe(t, truncation=True, top_k=None) for t in texts] for s, pipe in pipes.items()}  # warms up
        rates, waits = {s: [] for s in SPEEDUPS}, {s: [] for s in SPEEDUPS}
        for _ in range(args.rounds):
            for s in SPEEDUPS:  # interleaved: a noisy neighbour slows every variant alike
                rates[s].append(throughput(pipes[s], texts))
                waits[s].append(latency(pipes[s], texts[: args.singles]))
    rate = {s: statistics.median(v) for s, v in rates.items()}
    wait = {s: statistics.median(v) for s, v in waits.items()}
    figures = {"fp32_sent_per_s": f"{rate['none']:.1f}", "fp32_single_ms": f"{wait['none'] * 1000:.0f}"}
    for s in SPEEDUPS[1:]:
        agreement = compare(answers["none"], answers[s])
        figures |= {f"cpu_speedup_{s}": f"{rate[s] / rate['none']:.2f}x",
                    f"latency_ratio_{s}": f"{wait[s] / wait['none']:.2f}",
                    f"accuracy_{s}": f"{agreement.fraction:.3f}", f"max_score_change_{s}": f"{agreement.worst:.4f}",
                    f"ran_{s}": f'"{loaded[s].placement}"'}
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
