"""What the operator decides: which models each task offers, who may load what, limits and placement."""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .devices import CPU_SPEEDUPS
from .errors import UserError
from .spec import Limits, Task


@dataclass(frozen=True)
class ModelChoice:
    """One model a task offers: a Hub id or a local folder."""

    id: str
    label: str = ""  # shown in the picker; the id when empty
    revision: str | None = None  # a pinned commit, tag or branch on the Hub
    trust_remote_code: bool = False  # only ever set by the operator's config, per model
    device_map: str | None = None  # "auto" for models too big for one device
    cpu_speedup: str | None = None  # "none", "bf16" or "int8" on CPU; None: the server's cpu_speedup
    # runs elsewhere, through huggingface_hub's InferenceClient (runtime/remote.py); only ever set by the operator:
    endpoint: str | None = None  # the URL requests go to: an engine's ".../v1", an Inference Endpoint, a playground's
    provider: str | None = None  # ...or an Inference Provider: "hf-inference", "together", ...
    token_env: str | None = None  # the environment variable that holds its token (the token is never in the config)
    timeout: float = 60.0  # seconds a remote answer may take
    max_concurrency: int = 8  # requests to its endpoint at once, whichever tab or route they come by

    def __post_init__(self):
        check_speedup(self.cpu_speedup, f"the model {self.id}")
        if self.endpoint and self.provider:
            raise ValueError(f"The model {self.id} names both an endpoint and a provider; give one.")
        if self.endpoint and not self.endpoint.startswith(("http://", "https://")):
            raise ValueError(f"The endpoint of {self.id} must be an http:// or https:// URL, not {self.endpoint!r}.")
        if self.remote and (self.timeout <= 0 or self.max_concurrency < 1):
            raise ValueError(f"The model {self.id} needs a timeout above 0 and max_concurrency of at least 1.")

    @property
    def remote(self) -> bool:
        return bool(self.endpoint or self.provider)

    @property
    def display(self) -> str:
        return self.label or self.id

    @property
    def public_name(self) -> str:
        """What a refusal calls it: the label, the Hub id, or a local folder's own name (no path on this server)."""
        return self.label or (Path(self.id).name if looks_like_path(self.id) else self.id)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a request may call it by: its id, its label, and a local folder's own name."""
        folder = (Path(self.id).name,) if looks_like_path(self.id) else ()
        return (self.id, self.label, self.public_name, *folder)

    @classmethod
    def parse(cls, entry: "str | Mapping") -> "ModelChoice":
        return cls(entry) if isinstance(entry, str) else cls(**entry)


def check_speedup(value: str | None, whose: str) -> None:
    if value is not None and value not in CPU_SPEEDUPS:
        raise ValueError(f"Unknown cpu_speedup {value!r} for {whose}; choose one of {', '.join(CPU_SPEEDUPS)}.")


def looks_like_path(model_id: str) -> bool:
    return model_id.startswith(("/", "./", "../", "~", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", model_id)) or (
        os.sep in model_id and Path(model_id).expanduser().exists()
    )


def parse_size(text: "str | int | float | None") -> int | None:
    """'4GB', '512MB', '1.5G' or a number of bytes -> bytes."""
    if text in (None, "", 0):
        return None
    if isinstance(text, (int, float)):
        return int(text)
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)i?B?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"Cannot read {text!r} as a size; write e.g. 4GB or 512MB.")
    return int(float(m[1]) * 1024 ** "_KMGT".index(m[2].upper() or "_"))


@dataclass(frozen=True)
class Config:
    models: Mapping[str, tuple[ModelChoice, ...]] = field(default_factory=dict)  # task -> choices, default first
    allow_any_model: bool = False  # visitors may type any Hub id
    allow_local_paths: bool = False  # ...and any folder on this server (only with allow_any_model)
    memory_budget: int | None = None  # bytes of model weights kept loaded; None: no limit
    device: str = "auto"
    dtype: str = "auto"
    cpu_speedup: str = "none"  # every model's on CPU, unless its own entry says otherwise (runtime/devices.py)
    preload: tuple[str, ...] = ()  # "task=model" or "task" (its default) or "all"
    limits: Limits = Limits()
    batch_size: int = 32  # most concurrent requests merged into one pipeline call (1: no batching)
    batch_wait_ms: float = 50.0  # the longest a batch waits for the callers of the one before to come back
    concurrency: int = 2  # model calls of unbatched tasks running at once, all tasks together

    def __post_init__(self):
        check_speedup(self.cpu_speedup, "the server")

    def choices(self, task: Task) -> tuple[ModelChoice, ...]:
        """The task's models, each with the CPU speed-up it runs with (its own, else the server's)."""
        return tuple(self._speedup(c) for c in self.models.get(task.name) or tuple(ModelChoice(m) for m in task.models))

    def check_remote(self, registry: Mapping[str, Task]) -> None:
        """Refuses, at start-up, a remote model for a task that cannot run on one (the picker says "local only")."""
        for name, choices in self.models.items():
            task = registry.get(name)
            for choice in choices:
                if task is not None and choice.remote and not task.runs_remote:
                    raise ValueError(f"{task.title} runs local models only: huggingface_hub's InferenceClient has no "
                                     f"call for {name}, so {choice.id} cannot be served from {choice.endpoint or choice.provider}.")

    def _speedup(self, choice: ModelChoice) -> ModelChoice:
        if choice.remote:
            return choice
        if choice.cpu_speedup is None and self.cpu_speedup != "none":
            return replace(choice, cpu_speedup=self.cpu_speedup)
        return choice

    def resolve(self, task: Task, model_id: str | None) -> ModelChoice:
        """The model a request asks for, if this server's policy lets it be loaded."""
        choices = self.choices(task)
        model_id = (model_id or "").strip() or choices[0].id
        for choice in choices:
            if model_id in choice.names:
                return choice
        if not self.allow_any_model:
            offered = ", ".join(c.public_name for c in choices)
            raise UserError(f"This server only offers the listed models for {task.title}: {offered}.")
        if looks_like_path(model_id) and not self.allow_local_paths:
            raise UserError("This server does not load models from folders typed by visitors; use a Hub id.")
        return self._speedup(ModelChoice(model_id))  # never trusted with remote code

    def preload_list(self, registry: Mapping[str, Task]) -> list[tuple[Task, ModelChoice]]:
        """The (task, model) pairs to load at start-up."""
        wanted = [e for item in self.preload for e in item.split(",") if e.strip()]
        if "all" in wanted:
            wanted = list(registry)
        pairs = []
        for entry in wanted:
            name, _, model_id = entry.strip().partition("=")
            task = registry[name]
            pairs.append((task, self.resolve(task, model_id or None)))
        return pairs

    @classmethod
    def load(cls, path: "str | Path | None" = None, **overrides) -> "Config":
        """Reads the JSON config file (if any), then env PLAYGROUND_*, then explicit overrides (None = unset)."""
        data = json.loads(Path(path).read_text()) if path else {}
        base = Path(path).parent if path else Path.cwd()
        for key in ("allow_any_model", "allow_local_paths", "memory_budget", "device", "dtype", "cpu_speedup",
                    "preload", "batch_size", "batch_wait_ms", "concurrency"):
            env = os.environ.get(f"PLAYGROUND_{key.upper()}")
            if env is not None:
                data[key] = env.lower() in ("1", "true", "yes") if key.startswith("allow") else env
        data.update({k: v for k, v in overrides.items() if v is not None})
        models = {
            task: tuple(_relative_to(ModelChoice.parse(e), base) for e in entries)
            for task, entries in (data.get("models") or {}).items()
        }
        preload = data.get("preload") or ()
        limits = {k: data[k] for k in ("max_image_side", "max_audio_seconds") if k in data}
        return cls(
            models=models,
            allow_any_model=bool(data.get("allow_any_model", False)),
            allow_local_paths=bool(data.get("allow_local_paths", False)),
            memory_budget=parse_size(data.get("memory_budget")),
            device=data.get("device", "auto"),
            dtype=data.get("dtype", "auto"),
            cpu_speedup=data.get("cpu_speedup") or "none",
            preload=(preload,) if isinstance(preload, str) else tuple(preload),
            limits=Limits(**limits),
            batch_size=max(1, int(data.get("batch_size", 32))),
            batch_wait_ms=max(0.0, float(data.get("batch_wait_ms", 50.0))),
            concurrency=max(1, int(data.get("concurrency", 2))),
        )


def _relative_to(choice: ModelChoice, base: Path) -> ModelChoice:
    """Model folders in a config file may be written relative to the file."""
    if choice.id.startswith(("./", "../")):
        return replace(choice, id=str((base / choice.id).resolve()))
    return choice
