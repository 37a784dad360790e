"""Peak memory of speech recognition on a long file, chunked vs in one piece, on tiny local models (figures, no asserts).

    python bench/asr_long_audio.py [--minutes 10] [--timeout 600]

Each case runs in a fresh process; it reports the process's peak resident memory (ru_maxrss) after loading the
model and the audio, and the growth the pipeline call adds on top. The audio is speech_long.ogg repeated.
The wav2vec2 here has the real model's 320x downsampling (the test model's is 20x, which makes a 10-minute file
480,000 frames long: hours of attention in one piece).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(out: Path) -> dict:
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC, Wav2Vec2Processor

    from tests.tasks.test_automatic_speech_recognition import build_tiny, build_tiny_whisper

    torch.manual_seed(0)
    build_tiny(out / "ctc20")
    processor = Wav2Vec2Processor.from_pretrained(out / "ctc20")
    config = Wav2Vec2Config.from_pretrained(out / "ctc20")
    config.conv_dim, config.conv_stride, config.conv_kernel = (16,) * 4, (5, 4, 4, 4), (10, 4, 4, 4)
    config.num_feat_extract_layers = 4
    Wav2Vec2ForCTC(config).save_pretrained(out / "wav2vec2")
    processor.save_pretrained(out / "wav2vec2")
    build_tiny_whisper(out / "whisper")
    return {"wav2vec2": str(out / "wav2vec2"), "whisper": str(out / "whisper")}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def case(model: str, minutes: float, chunked: bool) -> None:
    """One measurement, in this (fresh) process; prints a JSON line."""
    import numpy as np
    from transformers import pipeline

    from runtime.media import load_audio

    speech, rate = load_audio(str(ROOT / "assets" / "speech_long.ogg"))
    audio = np.tile(speech, int(np.ceil(minutes * 60 * rate / speech.size)))[: int(minutes * 60 * rate)]
    pipe = pipeline("automatic-speech-recognition", model=model)
    kwargs = {"return_timestamps": True if pipe.type == "seq2seq_whisper" else "word"}
    if chunked:
        kwargs.update(chunk_length_s=30, stride_length_s=5, ignore_warning=True)
    pipe({"raw": audio[: rate * 5], "sampling_rate": rate}, **kwargs)  # warm up
    before = peak_mb()
    start = time.perf_counter()
    result = pipe({"raw": audio, "sampling_rate": rate}, **kwargs)
    print(json.dumps({"before_mb": before, "peak_mb": peak_mb(), "seconds": time.perf_counter() - start,
                      "chunks": len(result.get("chunks", []))}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--timeout", type=float, default=600, help="seconds one case may take")
    p.add_argument("--case", nargs=3, metavar=("MODEL", "MINUTES", "CHUNKED"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.case:
        return case(args.case[0], float(args.case[1]), args.case[2] == "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as folder:
        models = build(Path(folder))
        print(f"{args.minutes:g} minutes of audio; peak resident memory of the process (MB)")
        print(f"{'model':10} {'mode':10} {'before call':>12} {'peak':>8} {'added':>8} {'time s':>8} {'chunks':>7}")
        for name, model in models.items():
            for chunked in (True, False):
                mode = "chunked" if chunked else "one piece"
                try:
                    done = subprocess.run(
                        [sys.executable, __file__, "--case", model, str(args.minutes), "1" if chunked else "0"],
                        capture_output=True, text=True, timeout=args.timeout,
                    )
                except subprocess.TimeoutExpired:
                    print(f"{name:10} {mode:10} did not finish in {args.timeout:.0f} s")
                    continue
                if done.returncode != 0:
                    print(f"{name:10} {mode:10} failed: {(done.stderr.strip().splitlines() or ['killed'])[-1][:100]}")
                    continue
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{name:10} {mode:10} {r['before_mb']:12.0f} {r['peak_mb']:8.0f} "
                      f"{r['peak_mb'] - r['before_mb']:8.0f} {r['seconds']:8.1f} {r['chunks']:7d}")


if __name__ == "__main__":
    main()
