"""Memory under model churn: 6 models loaded in turn through the app's ModelCache under a budget that fits 2."""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss() -> int:
    """Resident set size of this process, bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def build(folder: Path, count: int) -> list[Path]:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from runtime.tiny import save, wordpiece_tokenizer

    torch.manual_seed(0)
    tokenizer, folders = wordpiece_tokenizer(), []
    for i in range(count):
        out = folder / f"churn-{i}"
        if not (out / "config.json").exists():
            config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=384, num_hidden_layers=6,
                                num_attention_heads=6, intermediate_size=1536, max_position_embeddings=128)
            save(out, BertForSequenceClassification(config), tokenizer)
        folders.append(out)
    return folders


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", required=True, help="folder to build the churn models in")
    p.add_argument("--count", type=int, default=6)
    args = p.parse_args(argv)
    from runtime.config import ModelChoice
    from runtime.models import ModelCache, estimate_bytes
    from tasks import REGISTRY

    task = REGISTRY["text-classification"]
    folders = build(Path(args.models), args.count)
    budget = 2 * estimate_bytes(ModelChoice(str(folders[0])))  # room for exactly 2 of them
    warm = ModelCache(budget_bytes=budget)  # imports and first-call allocations out of the measurement
    warm.get(task, ModelChoice(str(folders[0]))).pipe("warm up")
    del warm
    import gc

    gc.collect()
    baseline, cache, growth = rss(), ModelCache(budget_bytes=budget), []
    for _ in range(2):  # twice round: every load evicts one
        for folder in folders:
            cache.get(task, ModelChoice(str(folder))).pipe("the movie was wonderful", top_k=1)
            growth.append(rss() - baseline)
    json.dump({"budget_mb": budget / 2**20, "max_growth_mb": max(growth) / 2**20,
               "ratio": max(growth) / budget, "loaded_at_end": len(cache.loaded())}, sys.stdout)


if __name__ == "__main__":
    main()
