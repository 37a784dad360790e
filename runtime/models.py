"""The one process-wide model cache: each pipeline loaded once, least recently used evicted under a memory budget."""

import logging
import os
import re
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .config import ModelChoice, looks_like_path
from .devices import DeviceManager, Placement
from .errors import ModelLoadError, UserError
from .spec import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    pipe: Any
    placement: Placement  # what ran: a speed-up that failed reads float32 and says why
    load_seconds: float  # 0.0 when it came from the cache


class ModelCache:
    """Pipelines keyed by (task, model, revision, placement); loaded lazily, exactly once per key."""

    def __init__(self, devices: DeviceManager | None = None, budget_bytes: int | None = None):
        self.devices = devices or DeviceManager()
        self.budget = budget_bytes
        self._lock = threading.Lock()
        self._pipes: OrderedDict[tuple, Any] = OrderedDict()  # oldest use first
        self._sizes: dict[tuple, int] = {}
        self._ran: dict[tuple, Placement] = {}  # what each key's model runs as, when a speed-up fell back
        self._gates: dict[tuple, threading.Lock] = {}  # one per key being loaded: later callers wait
        self._remote: dict[tuple, Any] = {}  # (task, choice) -> its RemoteModel: no weights here, nothing to evict

    def key(self, task: Task, choice: ModelChoice) -> tuple:
        return (task.name, choice.id, choice.revision, self.devices.placement(choice.device_map, choice.cpu_speedup))

    def is_loaded(self, task: Task, choice: ModelChoice) -> bool:
        return choice.remote or self.key(task, choice) in self._pipes

    def get(self, task: Task, choice: ModelChoice) -> Loaded:
        if choice.remote:  # served elsewhere (runtime/remote.py): a client, costing nothing against the budget
            from .remote import RemoteModel

            with self._lock:
                model = self._remote.setdefault((task.name, choice), None) or RemoteModel(task, choice)
                self._remote[(task.name, choice)] = model
            return Loaded(model, model.where, 0.0)
        key = self.key(task, choice)
        placement = key[-1]
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._pipes:
                    self._pipes.move_to_end(key)
                    return Loaded(self._pipes[key], self._ran.get(key, placement), 0.0)
                self._evict(room_for=estimate_bytes(choice))
            start = time.perf_counter()
            try:
                import_pipelines_once()
                with _one_load_at_a_time:
                    pipe, placement = self._load(task, choice, placement)  # a failure caches nothing
            except UserError:
                raise
            except Exception as error:  # a task's own load: still name the model and the cause
                self.devices.release()  # what a failed load allocated (e.g. half a model before OOM) goes back
                raise ModelLoadError(f"Could not load '{choice.display}' for {task.title}: {describe(error)}") from error
            seconds = time.perf_counter() - start
            with self._lock:
                self._pipes[key], self._sizes[key] = pipe, resident_bytes(pipe)
                if placement != key[-1]:
                    self._ran[key] = placement
                self._evict()
            log.info("loaded %s for %s on %s in %.2f s", choice.id, task.name, placement, seconds)
            return Loaded(pipe, placement, seconds)

    def _evict(self, room_for: int = 0) -> None:
        """Drops least recently used pipelines until the rest (plus room_for) fits the budget; keeps the newest."""
        dropped = False
        while self.budget and len(self._pipes) > (0 if room_for else 1) and self.resident_bytes() + room_for > self.budget:
            key, _ = self._pipes.popitem(last=False)
            self._sizes.pop(key)
            self._ran.pop(key, None)
            log.info("evicted %s for %s to stay under the memory budget", key[1], key[0])
            dropped = True
        if dropped:
            self.devices.release()

    def _load(self, task: Task, choice: ModelChoice, placement: Placement) -> tuple[Any, Placement]:
        """The task's pipeline, then its CPU speed-up; a speed-up that fails leaves the model in float32, says why."""
        load = task.load or load_pipeline
        try:
            pipe = load(task, choice, placement)
        except UserError:
            raise
        except Exception as error:
            if placement.cpu_speedup != "bf16":
                raise
            log.warning("%s did not load in bfloat16 (%s); loading it in float32", choice.id, describe(error))
            self.devices.release()
            fp32 = Placement("cpu", "float32", note=f"bf16 failed ({describe(error).rstrip('.')}): ran float32")
            return load(task, choice, fp32), fp32
        if placement.cpu_speedup != "int8":
            return pipe, placement
        try:
            quantize_int8(pipe)
        except Exception as error:  # noqa: BLE001 - any failure: the float32 model is still whole and answers
            log.warning("%s could not be quantized to int8 (%s); it runs in float32", choice.id, describe(error))
            why = describe(error).rstrip(".")
            return pipe, replace(placement, cpu_speedup="none", note=f"int8 failed ({why}): ran float32")
        return pipe, placement

    def resident_bytes(self) -> int:
        return sum(self._sizes.values())

    def loaded(self) -> list[tuple]:
        return list(self._pipes)


_first_import = threading.Lock()
# transformers' from_pretrained is not thread-safe: two models loading at once came out with weights left on the
# meta device ("Tensor.item() cannot be called on meta tensors" at the first request). Loads are CPU-bound anyway.
_one_load_at_a_time = threading.Lock()


def import_pipelines_once() -> None:
    """Imports transformers' pipelines under a lock: its lazy first import is not thread-safe (two models loading
    at once on a cold server failed with "cannot import name 'pipeline' from 'transformers'")."""
    with _first_import:
        import transformers.pipelines  # noqa: F401


def quantize_int8(pipe: Any) -> None:
    """Dynamic int8 quantization of the model's Linear layers: weights stored in int8, activations quantized per
    call. torch.ao.quantization is deprecated in favour of torchao, which is not installed here; this still works on
    torch 2.14's CPU and measured as fast (bench/cpu_speedup.py)."""
    import torch

    model = getattr(pipe, "model", None)
    if not isinstance(model, torch.nn.Module):
        raise TypeError("this pipeline has no transformers model to quantize.")
    with warnings.catch_warnings():  # torch.ao's deprecation notices, once per load: the README says torchao is next
        warnings.simplefilter("ignore")
        quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    if not any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in quantized.modules()):
        raise TypeError("the model has no Linear layers to quantize.")
    pipe.model = quantized


def resident_bytes(pipe: Any) -> int:
    """Bytes of weights a pipeline holds: its torch modules' parameters and buffers, counted once."""
    import torch

    modules = [v for v in vars(pipe).values() if isinstance(v, torch.nn.Module)]
    modules += [v for v in getattr(pipe, "components", {}).values() if isinstance(v, torch.nn.Module)]  # diffusers
    tensors = {id(t): t for m in modules for t in (*m.parameters(), *m.buffers())}
    packed = [m.weight() for top in modules for m in top.modules() if callable(getattr(m, "weight", None))]  # int8
    return sum(t.numel() * t.element_size() for t in (*tensors.values(), *packed))


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".gguf")


def estimate_bytes(choice: ModelChoice) -> int:
    """Size of a local model folder's weight files, to make room before loading; 0 when unknown."""
    folder = Path(choice.id).expanduser()
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.suffix in (".safetensors", ".bin", ".pt"))


def model_source(choice: ModelChoice) -> str:
    """The id or folder to hand to from_pretrained, after checks that fail fast with a clear message."""
    if looks_like_path(choice.id):
        folder = Path(choice.id).expanduser()
        if not folder.is_dir():
            raise ModelLoadError(f"The model folder {choice.id} does not exist on this server.")
        if not any((folder / name).exists() for name in ("config.json", "model_index.json")):
            raise ModelLoadError(f"The folder {choice.id} holds no model (no config.json in it).")
        if not any(f.suffix in WEIGHT_SUFFIXES for f in folder.rglob("*")):
            raise ModelLoadError(
                f"The model folder of '{choice.display}' has no weights file (model.safetensors or "
                "pytorch_model.bin): its download or copy is incomplete."
            )
        return str(folder)
    if offline():
        from huggingface_hub import try_to_load_from_cache

        cached = any(
            isinstance(try_to_load_from_cache(choice.id, name, revision=choice.revision), str)
            for name in ("config.json", "model_index.json")
        )
        if not cached:
            raise ModelLoadError(
                f"The model '{choice.id}' is not downloaded on this server, and the server is offline "
                "(HF_HUB_OFFLINE=1). Pick another model, or download it first."
            )
    return choice.id


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def check_architecture(task: Task, source: str, choice: ModelChoice) -> None:
    """Refuses a model made for another task: transformers would quietly attach a random head instead."""
    from transformers import AutoConfig
    from transformers.pipelines import PIPELINE_REGISTRY

    config = AutoConfig.from_pretrained(source, revision=choice.revision, trust_remote_code=choice.trust_remote_code)
    found = set(getattr(config, "architectures", None) or ())
    allowed = set()
    for auto_class in PIPELINE_REGISTRY.supported_tasks.get(task.name, {}).get("pt", ()):
        for names in getattr(auto_class, "_model_mapping", {})._model_mapping.values():
            allowed.update((names,) if isinstance(names, str) else names)
    if found and allowed and not found & allowed:
        raise UserError(
            f"'{choice.display}' is a {', '.join(sorted(found))} model, not a {task.title} model. "
            f"Pick a model made for {task.title}."
        )


def load_pipeline(task: Task, choice: ModelChoice, placement: Placement, **kwargs) -> Any:
    """transformers.pipeline(task, model) with the placement, after the checks; errors become clear messages."""
    source = model_source(choice)
    try:
        from transformers import pipeline

        if task.check_architecture:
            check_architecture(task, source, choice)
        return pipeline(
            task.name,
            model=source,
            revision=choice.revision,
            trust_remote_code=choice.trust_remote_code,
            **{k: v for k, v in placement.pipeline_kwargs().items() if k != "cpu_speedup"},  # applied after loading
            **kwargs,
        )
    except UserError:
        raise
    except Exception as error:
        raise ModelLoadError(f"Could not load '{choice.display}' for {task.title}: {describe(error)}") from error


def describe(error: BaseException) -> str:
    """A short, secret-free sentence about an exception."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "out of memory" in text.lower() or isinstance(error, MemoryError):
        return "the server ran out of memory."
    if "deserializ" in text.lower() or type(error).__name__ == "SafetensorError":
        text = f"its weights file is damaged or incomplete ({text[0].lower()}{text[1:]})"
    text = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", text)  # <class 'transformers...BertModel'> -> BertModel
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        secret = os.environ.get(name)
        if secret:
            text = text.replace(secret, "***")
    return text[:300]


M_ARENA_MAX = -8  # glibc's mallopt() parameter number


def limit_malloc_arenas(arenas: int = 2, libc: str = "libc.so.6") -> bool:
    """Caps glibc's malloc arenas (as MALLOC_ARENA_MAX=2 would), unless the operator set MALLOC_ARENA_MAX.

    glibc gives threads their own arenas (up to 8 per core) and the many threads of a server running models of all
    shapes fragment them: 900 requests over every tab grew the server by 354 MiB (+27%); with 2 arenas by 96 MiB
    (+8.7%), at the same throughput, and warm-up took 200 MiB less (`python bench/load_test.py --requests 900`).
    Called before any worker thread or model exists. True if the cap is in place; False off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True
    import ctypes

    try:
        return ctypes.CDLL(libc).mallopt(M_ARENA_MAX, arenas) == 1
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt, Windows)
        return False
