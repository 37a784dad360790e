"""The request path of every task tab: policy check, cached model, pure adapters, errors a person understands."""

import contextlib
import inspect
import logging
import time
from typing import Any

import gradio as gr
import numpy as np

from .batching import Batcher
from .config import Config
from .errors import UserError
from .models import ModelCache, describe
from .quiet_queue import quiet
from .spec import Task

log = logging.getLogger(__name__)


def make_handler(task: Task, config: Config, models: ModelCache, batcher: Batcher | None = None):
    """The function behind a tab's Run button and its API endpoint: (model, *inputs, *params) -> outputs.

    With a batcher, concurrent requests of a batchable task share one pipeline call (see runtime/batching.py).
    """
    run_call = batcher.call if batcher else Task.call
    wants_limits = "limits" in inspect.signature(task.prepare).parameters

    def start(model_id, values, progress):
        choice = config.resolve(task, model_id)
        if not models.is_loaded(task, choice):
            progress(0, desc=f"Loading {choice.display}…")
        loaded = models.get(task, choice)
        call = task.prepare(*values, limits=config.limits) if wants_limits else task.prepare(*values)
        return choice, loaded, call

    def answer(result, values, choice, loaded, call, seconds):
        line = status_line(choice.display, loaded, seconds) + truncation_note(loaded.pipe, call)
        if isinstance(result, dict) and result.get("status_note"):  # a task's own word on how it read the input
            line += f" · {result['status_note']}"
        return (*task.present(result, *values), jsonable(result), line)

    if task.streams:

        def handler(model_id, *values, progress=gr.Progress()):
            with user_errors(task):
                choice, loaded, call = start(model_id, values, progress)
                begin = time.perf_counter()
                with contextlib.closing(task.call(loaded.pipe, call)) as partials:  # Stop closes it: work ends
                    for partial in partials:
                        yield answer(partial, values, choice, loaded, call, time.perf_counter() - begin)

    else:

        def handler(model_id, *values, progress=gr.Progress()):
            with user_errors(task):
                choice, loaded, call = start(model_id, values, progress)
                begin = time.perf_counter()
                result = run_call(task, loaded.pipe, call, progress)
                return answer(result, values, choice, loaded, call, time.perf_counter() - begin)

    handler.__name__ = task.api_name
    return handler


@contextlib.contextmanager
def user_errors(task: Task):
    """Every failure reaches the browser as one plain sentence; the traceback stays in the server log."""
    try:
        yield
    except gr.Error:
        raise
    except UserError as error:
        raise gr.Error(str(error), print_exception=False) from error
    except Exception as error:
        log.exception("%s failed", task.name)
        raise gr.Error(f"The model could not process this input: {describe(error)}", print_exception=False) from error


# pipelines that cut a text to the model's window on their own, without a `truncation` argument
ALWAYS_TRUNCATE = ("TokenClassificationPipeline", "ZeroShotClassificationPipeline")


def truncation_note(pipe, call) -> str:
    """Tells the user when their text (or one of their texts) was longer than the model's window and only its start
    was read."""
    tokenizer = getattr(pipe, "tokenizer", None)
    limit = getattr(tokenizer, "model_max_length", None)
    text = call.inputs
    tokenize_kwargs = call.kwargs.get("tokenize_kwargs")  # feature extraction hands truncation to its tokenizer
    truncates = (call.kwargs.get("truncation") or (isinstance(tokenize_kwargs, dict) and tokenize_kwargs.get("truncation"))
                 or (type(pipe).__name__ in ALWAYS_TRUNCATE and "stride" not in call.kwargs))
    texts = [text] if isinstance(text, str) else text if isinstance(text, list) and all(isinstance(t, str) for t in text) else []
    if not (truncates and texts and limit and limit < 1_000_000):
        return ""
    long = [t for t in texts if len(t) > limit]  # a token covers at least one character: the others fit the window
    counts = [len(tokenizer(t, truncation=False, verbose=False)["input_ids"]) for t in long]
    cut = [n for n in counts if n > limit]
    if not cut:
        return ""
    if isinstance(text, str):
        return f" · input cut to the model's first {limit} of {cut[0]} tokens"
    return f" · {len(cut)} of {len(texts)} inputs cut to the model's first {limit} tokens (the longest has {max(cut)})"


def plain_input_errors(components) -> None:
    """Gradio decodes some uploads itself (gr.Image opens the file) and reports failures as a generic error;
    this makes such a failure say, in a sentence, what is wrong with the file."""
    for component in components:
        component.preprocess = _said_plainly(component, component.preprocess)


def _said_plainly(component, preprocess):
    choices = isinstance(component, (gr.Radio, gr.Dropdown, gr.CheckboxGroup))
    if isinstance(component, gr.Image):
        sentence = "That file is not an image this app can read (try a PNG or JPEG)."
    elif isinstance(component, gr.Audio):
        sentence = "That file is not audio this app can read (try WAV, FLAC, OGG, MP3 or M4A)."
    else:
        sentence = f"The {component.label or 'input'} could not be read; check it and try again."

    def checked(payload):
        try:
            return preprocess(payload)
        except gr.Error:
            if not choices:
                raise
            # gradio's own wording names Python types ("<class 'str'>"): say it as a sentence instead
            listed = ", ".join(repr(value) if label == value else f"{label}: {value!r}"
                               for label, value in component.choices)
            raise gr.Error(f"{payload!r} is not one of the choices for {component.label or 'this setting'} "
                           f"({listed}).", print_exception=False) from None
        except Exception as error:
            log.info("could not read an input of %s: %s", type(component).__name__, error)
            raise gr.Error(sentence, print_exception=False) from error

    return checked


BUSY = "The server is busy: too many requests are waiting. Please try again in a minute."


def polite_queue(demo: gr.Blocks, max_size: int | None) -> gr.Blocks:
    """The demo's queue holding at most `max_size` waiting requests (None: no limit); a full queue answers BUSY
    instead of gradio's 'Queue is full. Max size is N and size is M.' (gradio has no setting for the wording).

    `demo.queue(max_size=...)` would rebuild gradio's whole FastAPI app, config and routes, which launch() builds
    again anyway: ~0.3 s of a 29-tab app's start-up. Blocks() has made its queue already; only its limit is set.
    Its loops wait for work instead of polling every millisecond (runtime/quiet_queue.py)."""
    quiet(demo._queue)
    demo._queue.max_size = max_size
    push = demo._queue.push

    async def push_or_busy(*args, **kwargs):
        accepted, detail, state = await push(*args, **kwargs)
        return (accepted, BUSY, state) if state == "queue_full" else (accepted, detail, state)

    demo._queue.push = push_or_busy
    return demo


def status_line(model: str, loaded, seconds: float) -> str:
    load = f"loaded in {loaded.load_seconds:.2f} s" if loaded.load_seconds else "from cache"
    return f"**{model}** · {loaded.placement} · model {load} · inference {seconds * 1000:.0f} ms"


def jsonable(value: Any, depth: int = 0) -> Any:
    """The raw pipeline result as JSON: arrays and images summarised, not dumped."""
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return round(float(value), 6)  # float(): numpy's float64 is a float, and round() keeps it numpy
    if isinstance(value, np.generic):
        return jsonable(value.item(), depth)
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().float().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.size <= 16:
            return jsonable(value.tolist(), depth)
        return {"array": list(value.shape), "dtype": str(value.dtype), "min": float(value.min()), "max": float(value.max())}
    if hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
        return {"image": list(value.size), "mode": value.mode}
    return repr(value)[:200]
