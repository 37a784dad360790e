"""The one place that knows about devices: where models run, in which dtype, and freeing memory."""

import functools
import gc
import re
from dataclasses import dataclass
from pathlib import Path

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = ("auto", "float32", "float16", "bfloat16")
CPU_SPEEDUPS = ("none", "bf16", "int8")  # bf16: bfloat16 where the CPU computes it natively; int8: dynamic int8 Linear


@dataclass(frozen=True)
class Placement:
    """Where one model runs; part of the model cache key."""

    device: str  # "cuda", "mps" or "cpu"
    dtype: str  # "float32", "float16" or "bfloat16"
    device_map: str | None = None  # "auto": accelerate spreads a model too big for one device
    cpu_speedup: str = "none"  # what runs on CPU: "bf16" (dtype bfloat16) or "int8" (Linear layers quantized on load)
    note: str = ""  # why a speed-up asked for did not run, for the status line

    def pipeline_kwargs(self) -> dict:
        """pipeline()'s device and dtype; with int8 also cpu_speedup="int8", which load_pipeline leaves out and
        ModelCache and Reproduce in code apply after pipeline() (the code panel passes only this dict)."""
        import torch

        where = {"device_map": self.device_map} if self.device_map else {"device": self.device}
        convert = {"cpu_speedup": self.cpu_speedup} if self.cpu_speedup == "int8" else {}
        return {**where, "dtype": getattr(torch, self.dtype), **convert}  # never both device and device_map

    def __str__(self) -> str:
        precision = "int8 dynamic" if self.cpu_speedup == "int8" else self.dtype
        note = f" ({self.note})" if self.note else ""
        return f"{'device_map=' + self.device_map if self.device_map else self.device} · {precision}{note}"


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

    def placement(self, device_map: str | None = None, cpu_speedup: str | None = None) -> Placement:
        """Where a model runs; a CPU speed-up applies on the CPU only, and bf16 only where the CPU has it natively."""
        if self.device != "cpu" or cpu_speedup in (None, "none"):
            return Placement(self.device, self.dtype, device_map if self.device != "cpu" else None)
        if cpu_speedup not in CPU_SPEEDUPS:
            raise ValueError(f"Unknown CPU speed-up {cpu_speedup!r}; choose one of {', '.join(CPU_SPEEDUPS)}.")
        if cpu_speedup == "bf16":
            native, cpu = native_bf16()
            if not native:
                return Placement("cpu", "float32", note=f"bf16 is not native on this CPU ({cpu}): ran float32")
            return Placement("cpu", "bfloat16", cpu_speedup="bf16")
        return Placement("cpu", "float32", cpu_speedup="int8")  # quantize_dynamic wants a float32 model

    def release(self) -> None:
        """Give memory of dropped models back: Python's, then the accelerator's cache."""
        gc.collect()
        if "device" in self.__dict__ and self.device != "cpu":
            import torch

            getattr(torch, self.device).empty_cache()


@functools.cache
def native_bf16() -> tuple[bool, str]:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX on x86, the BF16 extension on ARM), and what
    torch calls the CPU. Without it bfloat16 is emulated and slower than float32."""
    import torch

    capability = torch.backends.cpu.get_cpu_capability()  # "AVX512" says nothing of BF16: read the CPU's flags
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        flags = set(re.findall(r"^(?:flags|Features)\s*:\s*(.*)$", cpuinfo, re.MULTILINE)[0].split())
    except (OSError, IndexError):  # not Linux: macOS on Apple M2 and later has BF16, older Macs and Windows are unknown
        return False, f"{capability}, BF16 support unknown"
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"}), capability
