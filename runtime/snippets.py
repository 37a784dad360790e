"""Writes the transformers code that reproduces a tab's run: same model, inputs, parameters and device."""

import dataclasses
import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .spec import Call, Task


@dataclass(frozen=True)
class SnippetContext:
    """All a snippet is made of; a task's own `snippet(context) -> str` gets the same."""

    task: Task
    model: str  # the Hub id or folder handed to pipeline()
    pipeline_kwargs: dict  # from Placement.pipeline_kwargs(): device or device_map, dtype (and cpu_speedup="int8")
    call: Call
    files: tuple[str, ...] = ()  # the files the tab's inputs name, in order (images, audio, documents)
    revision: str | None = None
    trust_remote_code: bool = False
    remote: Any = None  # a remote model's ModelChoice: the snippet is its InferenceClient call


def snippet(context: SnippetContext) -> str:
    """The task's own snippet if it writes one, else the generic `pipeline(...)(inputs, **kwargs)` form; for a remote
    model, the InferenceClient call."""
    if context.remote is not None:
        return remote(context)
    if context.task.snippet is not None:
        return context.task.snippet(context)
    return generic(context)


def generic(context: SnippetContext) -> str:
    task, call = context.task, context.call
    if task.plain_call:
        task = dataclasses.replace(task, run=None)  # the pipeline's own call gives its answer
    module = task_module(task)
    files = list(context.files)
    setup: list[str] = []
    inputs = render(call.inputs, files, setup)
    lines = ["import torch", "from transformers import pipeline"]
    if any("Image.open" in s for s in setup):
        lines.append("from PIL import Image, ImageOps")
    if any("soundfile" in s for s in setup):
        lines.append("import soundfile")
    if task.own_pipeline:
        lines.append(f"import {module}  # registers the pipeline (transformers 5 lacks it; run in the repo)")
    if task.load is not None or task.run is not None:
        lines.append("from runtime.spec import Call")
        lines.append(f"from {module} import TASK  # adapts loading or calling: see {module_path(task)} (run in the repo)")
    lines.append("")
    if task.load is not None:
        pipeline_kwargs = dict(context.pipeline_kwargs)
        speedup = pipeline_kwargs.pop("cpu_speedup", None)  # a conversion after loading, written as its own line
        lines.append("from runtime.config import ModelChoice")
        lines.append("from runtime.devices import Placement")
        choice = f"ModelChoice({context.model!r}" + (f", revision={context.revision!r}" if context.revision else "") + ")"
        lines.append(f"pipe = TASK.load(TASK, {choice}, {placement_literal(pipeline_kwargs)})")
        if speedup == "int8":
            lines.append(int8_line())
    else:
        lines += load_lines(context)
    lines += setup
    kwargs = "".join(f", {k}={literal(v)}" for k, v in call.kwargs.items())
    if task.run is not None:
        lines.append(f"result = TASK.call(pipe, Call({inputs}, {{{', '.join(f'{k!r}: {literal(v)}' for k, v in call.kwargs.items())}}}))")
        if task.streams:
            lines.append("for result in result:  # partial results as they are generated")
            lines.append("    pass")
    else:
        lines.append(f"result = pipe({inputs}{kwargs})")
    lines.append("print(result)")
    return "\n".join(lines) + "\n"


def load_lines(context: SnippetContext, name: str | None = None, target: str = "pipe",
               factory: str = "pipeline", extra: dict | None = None) -> list[str]:
    """`pipe = pipeline(task, model=..., device=..., dtype=...)` as the run loaded it (revision, remote code), then
    the int8 line when the app runs the model so. `factory` may be e.g. `AutoModelForX.from_pretrained` (name None)."""
    pipeline_kwargs = dict(context.pipeline_kwargs)
    speedup = pipeline_kwargs.pop("cpu_speedup", None)  # a conversion after loading, written as its own line
    args = ([repr(name or context.task.name)] if factory == "pipeline" else []) + [
        f"model={context.model!r}" if factory == "pipeline" else repr(context.model)]
    if context.revision:
        args.append(f"revision={context.revision!r}")
    if context.trust_remote_code:
        args.append("trust_remote_code=True")
    args += [f"{k}={v}" for k, v in (extra or {}).items()]  # source text, e.g. {"vocoder": "vocoder"}
    args += [f"{k}={literal(v)}" for k, v in pipeline_kwargs.items()]
    lines = [f"{target} = {factory}({', '.join(args)})"]
    if speedup == "int8":
        lines.append(int8_line(f"{target}.model" if factory == "pipeline" else target))
    return lines


def model_lines(context: SnippetContext, factory: str, target: str = "model") -> list[str]:
    """`model = AutoModelForX.from_pretrained(...)` placed as the run's pipeline is (dtype, device or device_map),
    then the int8 line when the app runs the model so."""
    kwargs = dict(context.pipeline_kwargs)
    speedup = kwargs.pop("cpu_speedup", None)
    device = kwargs.pop("device", None)
    args = [repr(context.model)] + ([f"revision={context.revision!r}"] if context.revision else []) + (
        ["trust_remote_code=True"] if context.trust_remote_code else []) + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    lines = [f"{target} = {factory}({', '.join(args)})" + (f".to({str(device)!r})" if device is not None else "")]
    if speedup == "int8":
        lines.append(int8_line(target))
    return lines


def processor_lines(context: SnippetContext, factory: str = "AutoProcessor.from_pretrained",
                    target: str = "processor") -> list[str]:
    args = [repr(context.model)] + ([f"revision={context.revision!r}"] if context.revision else []) + (
        ["trust_remote_code=True"] if context.trust_remote_code else [])
    return [f"{target} = {factory}({', '.join(args)})"]


def written(code: list[str], setup: list[str], imports: list[str] = ()) -> str:
    """A snippet's text: the imports (PIL's and soundfile's when `setup` reads files), a blank line, the code."""
    head = ["import torch", *(["from PIL import Image, ImageOps"] if any("Image.open" in s for s in setup) else []),
            *(["import soundfile"] if any("soundfile" in s for s in setup) else []), *imports]
    return "\n".join([*sorted(set(head), key=head.index), "", *code]) + "\n"


def int8_line(model: str = "pipe.model") -> str:
    quantize = f"torch.ao.quantization.quantize_dynamic({model}, {{torch.nn.Linear}}, dtype=torch.qint8)"
    return f"{model} = {quantize}  # int8 Linear layers, as the app runs it (torchao is the successor)"


def read_audio(path: str, name: str = "audio") -> list[str]:
    """Lines that read an audio file as the app does (runtime/media.py): mono float32, `rate` its sampling rate."""
    return [f"{name}, rate = soundfile.read({os.path.basename(path)!r}, dtype='float32', always_2d=True)",
            f"{name} = {name}.mean(axis=1)  # mono"]


def resample_lines(name: str = "audio", rate_of: str = "pipe.feature_extractor.sampling_rate") -> list[str]:
    """Lines that bring `name` (at `rate`) to the model's rate, `target`, as the app does (soxr: transformers would
    need torchaudio)."""
    return [f"target = {rate_of}  # the model's sampling rate",
            "if rate != target:  # resampled as the app does",
            "    import soxr",
            f"    {name} = soxr.resample({name}, rate, target).astype('float32')"]


def remote(context: SnippetContext) -> str:
    """The InferenceClient call a remote model's run makes (runtime/remote.py): files by their paths, the token
    read from the environment variable the operator named (never written here)."""
    from huggingface_hub import InferenceClient

    from .remote import METHODS, arguments, chat_params, method_name

    choice, task, call = context.remote, context.task, context.call
    token = f"os.environ.get({choice.token_env!r})" if choice.token_env else "None"
    where = f"provider={choice.provider!r}" if choice.provider else f"base_url={choice.endpoint!r}"
    lines = ["import os", "", "from huggingface_hub import InferenceClient", "",
             f"client = InferenceClient({where}, api_key={token}, timeout={choice.timeout:g})"]
    files = [os.path.basename(f) for f in context.files]
    if METHODS.get(task.name) == "chat_completion":
        messages = chat_source(call.inputs, iter(files))
        if "data_url(" in messages:
            lines[0:1] = ["import base64", "import mimetypes", "import os"]
            lines += ["", "", "def data_url(path):", "    kind = mimetypes.guess_type(path)[0] or 'image/png'",
                      "    return f'data:{kind};base64,' + base64.b64encode(open(path, 'rb').read()).decode()", ""]
        params = "".join(f", {k}={v!r}" for k, v in chat_params(call.kwargs).items())
        lines += [f"stream = client.chat_completion({messages}, model={choice.id!r}, stream=True{params})",
                  "for chunk in stream:", "    print(chunk.choices[0].delta.content or '', end='')", "print()"]
        return "\n".join(lines) + "\n"
    paths = iter(files)

    def written(value):  # a file input goes by its path: the client reads it
        if (hasattr(value, "mode") and hasattr(value, "size")) or (isinstance(value, dict) and "raw" in value):
            return _Code(repr(next(paths, "input.file")))
        return value

    args = arguments(getattr(InferenceClient, method_name(task)), call.inputs, call.kwargs, written)
    if choice.provider:
        args["model"] = choice.id
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    lines += [f"result = client.{method_name(task)}({text})", "print(result)"]
    return "\n".join(lines) + "\n"


def chat_source(inputs, files) -> str:
    """A chat's messages as source: text as it is, images as data URLs of their files (the OpenAI protocol's form)."""
    chat = inputs if isinstance(inputs, list) else [
        *([{"role": "system", "content": inputs["system"]}] if inputs.get("system") else []),
        *inputs.get("history", []), {"role": "user", "content": inputs["message"]}]

    def part(block) -> str:
        if isinstance(block, str) or block.get("type") == "text":
            return repr({"type": "text", "text": block if isinstance(block, str) else block["text"]})
        if block.get("type") == "image":
            return f"{{'type': 'image_url', 'image_url': {{'url': data_url({next(files, 'image.png')!r})}}}}"
        return repr({"type": "text", "text": f"[{block.get('type')}]"})

    def turn(t) -> str:
        content = t["content"]
        content = repr(content) if isinstance(content, str) else "[" + ", ".join(part(b) for b in content) + "]"
        return f"{{'role': {t['role']!r}, 'content': {content}}}"

    return "[" + ", ".join(turn(t) for t in chat) + "]"


class _Code(str):
    """Source text that repr() writes as it is."""

    def __repr__(self) -> str:
        return str(self)


def render(value: Any, files: list[str], setup: list[str]) -> str:
    """Python source for one pipeline input; images and audio are read from the tab's files, in order."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(render(v, files, setup) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        if set(value) == {"raw", "sampling_rate"} and files:  # audio decoded from a file
            name = f"audio{len([s for s in setup if s.startswith('audio')]) or ''}"
            path = os.path.basename(files.pop(0))
            setup.append(f"{name}, rate = soundfile.read({path!r}, dtype='float32', always_2d=True)")
            return f"{{'raw': {name}.mean(axis=1), 'sampling_rate': rate}}"
        return "{" + ", ".join(f"{k!r}: {render(v, files, setup)}" for k, v in value.items()) + "}"
    if hasattr(value, "size") and hasattr(value, "mode") and files:  # a PIL image read from an upload
        full = files.pop(0)
        name = f"image{len([s for s in setup if s.startswith('image')]) or ''}"
        setup.append(f"{name} = ImageOps.exif_transpose(Image.open({os.path.basename(full)!r})).convert('RGB')")
        if _opened_size(full) != tuple(value.size):  # the app downscaled a large upload: do the same
            side = max(value.size)
            setup.append(f"{name}.thumbnail(({side}, {side}), Image.Resampling.LANCZOS)")
        return name
    if type(value).__name__ == "DataFrame":  # a table (table question answering)
        setup.append("import pandas as pd")
        return f"pd.DataFrame({render(value.to_dict(orient='list'), files, setup)})"
    setup.append("# ... below stands for an input that cannot be written as code: see the tab")
    return "..."


def _opened_size(path: str) -> tuple | None:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            return tuple(ImageOps.exif_transpose(image).size)
    except OSError:
        return None


def literal(value: Any) -> str:
    """repr() that writes torch dtypes as `torch.float32`."""
    if type(value).__module__ == "torch" and type(value).__name__ == "dtype":
        return str(value)
    return repr(value)


def placement_literal(pipeline_kwargs: dict) -> str:
    dtype = str(pipeline_kwargs.get("dtype", "torch.float32")).removeprefix("torch.")
    device = pipeline_kwargs.get("device", "cpu")
    device_map = pipeline_kwargs.get("device_map")
    return f"Placement({device!r}, {dtype!r}" + (f", {device_map!r}" if device_map else "") + ")"


def task_module(task: Task) -> str:
    module = inspect.getmodule(task.prepare)
    return module.__name__ if module else f"tasks.{task.api_name}"


def module_path(task: Task) -> str:
    return task_module(task).replace(".", "/") + ".py"


def files_of(values) -> tuple[str, ...]:
    """The file paths among a tab's input values (uploads arrive as paths, also inside a multimodal message or a
    conversation's content blocks), in order."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            path = value.get("path")
            if isinstance(path, (str, Path)) and _is_file(path):
                found.append(str(path))
            else:
                for inner in value.values():
                    walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner)
        elif isinstance(value, (str, Path)) and str(value) and _is_file(value):
            found.append(str(value))

    walk(list(values))
    return tuple(found)


def _is_file(path) -> bool:
    try:
        return Path(path).is_file()
    except OSError:  # a long text is not a path ("File name too long")
        return False
