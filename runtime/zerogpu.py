"""Hugging Face ZeroGPU support: GPU-bound handlers wrapped with `spaces.GPU` when that package is importable."""

import importlib.util
import os

GPU_QUEUE = "gpu"  # the one concurrency id every GPU-bound event shares on ZeroGPU


def enabled() -> bool:
    """True on a ZeroGPU Space (the `spaces` package is there and the Space says so), or when forced for tests."""
    if importlib.util.find_spec("spaces") is None:
        return False
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true") or os.environ.get(
        "PLAYGROUND_ZERO_GPU", ""
    ).lower() in ("1", "true")


def setup() -> None:
    """On ZeroGPU, `spaces` must be imported before torch touches CUDA (it emulates the GPU at start-up)."""
    if enabled():
        import spaces  # noqa: F401


def gpu(handler, duration: int = 60):
    """The handler wrapped with spaces.GPU on ZeroGPU (a GPU is attached for each call), else unchanged."""
    if not enabled():
        return handler
    import spaces  # imported only here: elsewhere the package may be missing, and importing it patches torch

    return spaces.GPU(duration=duration)(handler)


def concurrency_id() -> str | None:
    return GPU_QUEUE if enabled() else None
