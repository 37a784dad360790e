"""What the picker shows about a model: size, architecture and licence, read from disk or the Hub cache, never the network."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .config import ModelChoice, looks_like_path

SPEEDUP_NAMES = {"bf16": "in bfloat16 (where the CPU has it natively)", "int8": "int8 dynamic (Linear layers)"}
WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx")


@dataclass(frozen=True)
class ModelInfo:
    model: str
    on_disk: bool  # False: not downloaded here yet, nothing more is known
    architecture: str = ""
    model_type: str = ""
    licence: str = ""
    size_bytes: int = 0
    parameters: int = 0  # from safetensors headers; 0 when unknown
    random_weights: bool = False  # a tiny test model built by runtime.tiny
    cpu_speedup: str = "none"  # the operator's CPU speed-up for it: "bf16" or "int8" (runtime/devices.py)
    served_by: str = ""  # a remote model's server (runtime/remote.py): nothing of it is on this server

    def markdown(self) -> str:
        if self.served_by:
            return f"ℹ️ `{self.model}` is served by {self.served_by}: it runs there, nothing loads on this server."
        if not self.on_disk:
            return f"ℹ️ `{self.model}` is not downloaded on this server yet: it downloads on first use."
        parts = [self.architecture or self.model_type or "unknown architecture"]
        if self.parameters:
            parts.append(f"{human_count(self.parameters)} parameters")
        if self.size_bytes:
            parts.append(human_bytes(self.size_bytes))
        parts.append(f"licence: {self.licence}" if self.licence else "licence: not stated in its card")
        if self.random_weights:
            parts.append("random weights (test model)")
        if self.cpu_speedup in SPEEDUP_NAMES:
            parts.append(f"on CPU runs {SPEEDUP_NAMES[self.cpu_speedup]}")
        return "ℹ️ " + " · ".join(parts)


def model_info(choice: ModelChoice) -> ModelInfo:
    if choice.remote:
        from .remote import host_of

        return ModelInfo(choice.display, on_disk=False, served_by=host_of(choice))
    folder = model_folder(choice)
    speedup = choice.cpu_speedup or "none"
    if folder is None:
        return ModelInfo(choice.display, on_disk=False, cpu_speedup=speedup)
    config = _read_json(folder / "config.json") or _read_json(folder / "model_index.json")
    weights = [f for f in folder.rglob("*") if f.suffix in WEIGHTS and f.is_file()]
    card = (folder / "README.md").read_text(errors="replace") if (folder / "README.md").is_file() else ""
    return ModelInfo(
        model=choice.display,
        on_disk=True,
        architecture=", ".join(config.get("architectures") or ()) or config.get("_class_name", ""),
        model_type=config.get("model_type", ""),
        licence=card_licence(card),
        size_bytes=sum(f.stat().st_size for f in weights),
        parameters=sum(safetensors_parameters(f) for f in weights if f.suffix == ".safetensors"),
        random_weights=(folder / ".complete").exists(),  # runtime.tiny marks the folders it built
        cpu_speedup=speedup,
    )


def model_folder(choice: ModelChoice) -> Path | None:
    """The model's folder: itself when local, its Hub-cache snapshot when downloaded; None otherwise."""
    if looks_like_path(choice.id):
        folder = Path(choice.id).expanduser()
        return folder if folder.is_dir() else None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for name in ("config.json", "model_index.json"):
        found = try_to_load_from_cache(choice.id, name, revision=choice.revision)  # reads the cache only
        if isinstance(found, str):
            return Path(found).parent
    return None


def card_licence(card: str) -> str:
    """`license:` from a model card's YAML front matter."""
    front = re.match(r"\A---\s*\n(.*?)\n---", card, re.DOTALL)
    if not front:
        return ""
    found = re.search(r"^licen[sc]e:\s*(.+)$", front[1], re.MULTILINE)
    return found[1].strip().strip("'\"") if found else ""


def safetensors_parameters(path: Path) -> int:
    """Parameter count from a safetensors header (8-byte length, then JSON): no tensor is read."""
    try:
        with open(path, "rb") as f:
            header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    except (OSError, ValueError):
        return 0
    total = 0
    for name, meta in header.items():
        if name != "__metadata__":
            count = 1
            for dim in meta.get("shape", ()):
                count *= dim
            total += count
    return total


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def human_count(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
