"""Accuracy of a CPU speed-up, measured: a fixed set of inputs through a model in float32 and with the speed-up.

    python -m bench.accuracy --model <folder or Hub id> --task text-classification --speedup int8 [--threshold 0.99]

Classifiers: top-1 agreement and the largest score change; embeddings: cosine to float32 (an input agrees at
cosine >= 0.99); generation and speech recognition: the fraction of identical outputs. Exit code 1 when agreement
is below the threshold. Inputs: runtime/tiny.py's CORPUS plus sentences of 5-60 words, and the files in assets/.
"""

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
KINDS = {"image": (".jpg", ".png"), "audio": (".wav", ".ogg"), "video": (".mp4",)}
COSINE_AGREES = 0.99  # an embedding this close to float32's counts as the same answer
WORDS = ("the a model reads every sentence and answers with a label while people wait on a small cheap laptop "
         "today this film was wonderful terrible boring moving long short London Paris invoice total euros "
         "speech text image audio quick brown fox lazy dog sunny weather coffee station rocket astronaut").split()


def varied_sentences(count: int = 48, shortest: int = 5, longest: int = 60, seed: int = 0) -> list[str]:
    """Sentences of `shortest`..`longest` words, the same ones every run (real requests are not all one length)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(shortest, longest))).capitalize() + "."
            for _ in range(count)]


def texts() -> list[str]:
    from runtime.tiny import CORPUS

    return [*CORPUS, *varied_sentences(32)]


def inputs_for(task) -> list[dict]:
    """The task's first example with its first text or file varied over the fixed set: texts (as many lines per
    input as the example has), or every asset of the example file's kind."""
    row = dict(task.examples[0])
    key, value = next((k, v) for k, v in row.items() if isinstance(v, str))
    if (ROOT / value).is_file():
        kind = next(suffixes for suffixes in KINDS.values() if Path(value).suffix in suffixes)
        return [{**row, key: str(f)} for f in sorted(ASSETS.iterdir()) if f.suffix in kind]
    every, lines = texts(), max(1, len(value.splitlines()))
    return [{**row, key: "\n".join(every[i:i + lines])} for i in range(0, len(every) - lines + 1, lines)]


@dataclass
class Agreement:
    family: str  # "classifier", "embedding", "text" or "other"
    agreed: int = 0
    total: int = 0
    worst: float = 0.0  # largest score change (classifier) or lowest cosine (embedding)

    @property
    def fraction(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    def line(self) -> str:
        figures = {"classifier": f"max_score_change={self.worst:.4f}", "embedding": f"min_cosine={self.worst:.4f}"}
        name = {"classifier": "top1_agreement", "embedding": f"cosine>={COSINE_AGREES}"}.get(self.family, "identical")
        counted = f"{name}={self.fraction:.3f} ({self.agreed}/{self.total})"
        return f"family={self.family} {counted} {figures.get(self.family, '')}".rstrip()


def scored_labels(result) -> list[tuple[str, float]]:
    """(label, score) pairs of a classifier's answer, best first as the pipeline ranked them; [] if it is none."""
    if isinstance(result, dict) and {"labels", "scores"} <= result.keys():  # zero-shot classification
        return list(zip(result["labels"], map(float, result["scores"])))
    if isinstance(result, dict) and "score" in result:
        label = result.get("label", result.get("entity_group", result.get("entity", result.get("token_str"))))
        return [(str(label), float(result["score"]))] if label is not None else []
    if isinstance(result, (list, tuple)):
        return [pair for item in result for pair in scored_labels(item)]
    return []


def texts_of(result) -> list[str]:
    if isinstance(result, dict):
        return [str(v) for k, v in result.items() if k in ("text", "generated_text")] or texts_of(list(result.values()))
    if isinstance(result, (list, tuple)):
        return [t for item in result for t in texts_of(item)]
    return []


def vector(result):
    """All the numbers of an answer as one vector (token vectors of several sentences, of different lengths, in
    order), or None if it holds something else."""
    import numpy as np

    if isinstance(result, (list, tuple)) and result:
        parts = [vector(item) for item in result]
        return None if any(v is None for v in parts) else np.concatenate(parts)
    if hasattr(result, "detach"):
        result = result.detach().float().numpy()
    if isinstance(result, (float, np.ndarray, np.floating)):
        array = np.asarray(result, dtype=np.float64).ravel()
        return array if array.size else None
    return None


def compare(reference: list, candidate: list) -> Agreement:
    """Agreement of the speed-up's answers with float32's, input by input; the family from the answers' shape."""
    first = reference[0]
    family = ("classifier" if scored_labels(first) else "text" if texts_of(first)
              else "embedding" if vector(first) is not None else "other")
    found = Agreement(family, total=len(reference), worst=1.0 if family == "embedding" else 0.0)
    for a, b in zip(reference, candidate):
        if family == "classifier":
            x, y = scored_labels(a), scored_labels(b)
            found.agreed += x[0][0] == y[0][0]
            scores = dict(y)
            found.worst = max([found.worst, *(abs(s - scores[label]) for label, s in x if label in scores)])
        elif family == "embedding":
            import numpy as np

            x, y = vector(a), vector(b)
            cosine = float(x @ y / max(np.linalg.norm(x) * np.linalg.norm(y), 1e-12)) if x.shape == y.shape else 0.0
            found.agreed += cosine >= COSINE_AGREES
            found.worst = min(found.worst, cosine)
        elif family == "text":
            found.agreed += texts_of(a) == texts_of(b)
        else:
            from runtime.runner import jsonable

            found.agreed += jsonable(a) == jsonable(b)
    return found


def words(text: str) -> list[str]:
    """A transcript's words, lower case, without punctuation: what word error rates compare."""
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: list[str], heard: list[str]) -> int:
    """Word-level edit distance (substitutions, insertions and deletions)."""
    row = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(heard, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1]


def word_error_rate(reference: str, heard: str) -> float:
    """Word errors of `heard` over the number of words of `reference`."""
    expected = words(reference)
    return word_errors(expected, words(heard)) / max(1, len(expected))


def answers(task, pipe, rows) -> tuple[list, float]:
    from runtime.spec import Limits

    start, results = time.perf_counter(), []
    for row in rows:
        result = task.call(pipe, task.prepare(**row, limits=Limits()))
        results.append(list(result)[-1] if task.streams else result)  # a streaming task's last partial is its answer
    return results, time.perf_counter() - start


def agreements(task, fp32_pipe, fast_pipes: dict, rows: list[dict] | None = None) -> tuple[dict, dict]:
    """Each speed-up's Agreement with float32 on the task's fixed set (inputs_for, or `rows`), and the seconds each
    took over the set (float32's under "none")."""
    rows = rows or inputs_for(task)
    pipes = {"none": fp32_pipe, **fast_pipes}
    for pipe in pipes.values():
        answers(task, pipe, rows[:1])  # a first call sets things up: not timed
    said, seconds = {}, {}
    for name, pipe in pipes.items():
        said[name], seconds[name] = answers(task, pipe, rows)
    return {name: compare(said["none"], said[name]) for name in fast_pipes}, seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a model folder or Hub id (offline: already downloaded)")
    p.add_argument("--task", required=True, help="the transformers task, e.g. text-classification")
    p.add_argument("--speedup", required=True, choices=("bf16", "int8"))
    p.add_argument("--threshold", type=float, default=0.99, help="least agreement that passes (default 0.99)")
    args = p.parse_args(argv)
    from runtime.config import ModelChoice
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache
    from tasks import REGISTRY

    task, cache = REGISTRY[args.task], ModelCache(DeviceManager("cpu"))
    rows = inputs_for(task)
    fp32 = cache.get(task, ModelChoice(args.model, cpu_speedup="none"))
    fast = cache.get(task, ModelChoice(args.model, cpu_speedup=args.speedup))
    found, seconds = agreements(task, fp32.pipe, {args.speedup: fast.pipe}, rows)
    found, fp32_seconds, fast_seconds = found[args.speedup], seconds["none"], seconds[args.speedup]
    print(f"task={task.name} model={args.model} speedup={args.speedup} ran=\"{fast.placement}\" inputs={len(rows)}")
    print(f"{found.line()} seconds_fp32={fp32_seconds:.2f} seconds_{args.speedup}={fast_seconds:.2f}")
    passed = found.fraction >= args.threshold
    print(f"{'PASS' if passed else 'FAIL'}: agreement {found.fraction:.3f} {'>=' if passed else '<'} {args.threshold}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
