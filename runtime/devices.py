"""The one place that knows about devices: where models run, in which dtype, and freeing memory."""

import functools
import gc
from dataclasses import dataclass

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = ("auto", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Placement:
    """Where one model runs; part of the model cache key."""

    device: str  # "cuda", "mps" or "cpu"
    dtype: str  # "float32", "float16" or "bfloat16"
    device_map: str | None = None  # "auto": accelerate spreads a model too big for one device

    def pipeline_kwargs(self) -> dict:
        import torch

        where = {"device_map": self.device_map} if self.device_map else {"device": self.device}
        return {**where, "dtype": getattr(torch, self.dtype)}  # never both device and device_map

    def __str__(self) -> str:
        return f"{'device_map=' + self.device_map if self.device_map else self.device} · {self.dtype}"


class DeviceManager:
    """Picks cuda → mps → cpu unless forced, and the dtype that suits it unless forced."""

    def __init__(self, device: str = "auto", dtype: str = "auto"):
        if device not in DEVICES:
            raise ValueError(f"Unknown device {device!r}; choose one of {', '.join(DEVICES)}.")
        if dtype not in DTYPES:
            raise ValueError(f"Unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}.")
        self.requested_device, self.requested_dtype = device, dtype

    @functools.cached_property
    def device(self) -> str:
        import torch  # first use only: importing torch costs seconds

        found = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
        if self.requested_device == "auto":
            return next(name for name, ok in found.items() if ok)
        if not found[self.requested_device]:
            raise ValueError(f"Device {self.requested_device!r} was asked for but this machine has none.")
        return self.requested_device

    @functools.cached_property
    def dtype(self) -> str:
        if self.requested_dtype != "auto":
            return self.requested_dtype
        if self.device == "cuda":
            import torch

            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float16" if self.device == "mps" else "float32"  # half precision is slow or unsupported on CPU

    def placement(self, device_map: str | None = None) -> Placement:
        return Placement(self.device, self.dtype, device_map if self.device != "cpu" else None)

    def release(self) -> None:
        """Give memory of dropped models back: Python's, then the accelerator's cache."""
        gc.collect()
        if "device" in self.__dict__ and self.device != "cpu":
            import torch

            getattr(torch, self.device).empty_cache()
