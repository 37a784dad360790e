"""gradio's per-request work around a run, made lighter where it buys throughput (measured: README "Performance").

`inline_widgets`: gradio hands every input's `preprocess` and every output's `postprocess` to a worker thread of
its own (anyio.to_thread.run_sync), one thread hop per widget and request: a text-classification run crosses eight.
For widgets whose processing is a few lines on text and numbers (`CHEAP`), the hop costs more than the work; they
run in the event's own task instead. Files, images, audio, tables: still in a worker thread, as gradio has them.
"""

import inspect
import types

import anyio
import gradio as gr

# widgets whose preprocess and postprocess only reshape text, numbers or small dicts
CHEAP = (gr.Textbox, gr.Number, gr.Slider, gr.Checkbox, gr.Dropdown, gr.Radio, gr.CheckboxGroup, gr.Markdown,
         gr.JSON, gr.Label, gr.HighlightedText, gr.Code, gr.HTML)


def _cheap(fn) -> bool:
    """fn is a CHEAP widget's own preprocess or postprocess (possibly wrapped with functools.wraps)."""
    fn = inspect.unwrap(fn)
    widget = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    return (name in ("preprocess", "postprocess") and isinstance(widget, CHEAP)
            and getattr(type(widget), name) is getattr(_owner(type(widget)), name))


def _owner(cls):
    """The CHEAP class cls is (or derives from): a subclass that overrides the method is not assumed cheap."""
    return next(base for base in cls.__mro__ if base in CHEAP)


class _ToThread(types.ModuleType):
    """`anyio.to_thread` as gradio.blocks sees it: a CHEAP widget's processing runs here, the rest in a thread."""

    def __init__(self):
        super().__init__("anyio.to_thread")
        self.inline = 0  # calls run without a thread hop (for tests)

    def __getattr__(self, name):
        return getattr(anyio.to_thread, name)

    async def run_sync(self, fn, *args, **kwargs):
        if _cheap(fn):
            self.inline += 1
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args, **kwargs)


class _Anyio(types.ModuleType):
    def __init__(self):
        super().__init__("anyio")
        self.to_thread = TO_THREAD

    def __getattr__(self, name):
        return getattr(anyio, name)


TO_THREAD = _ToThread()
ANYIO = _Anyio()


def inline_shape_ok() -> bool:
    """gradio.blocks runs each widget's preprocess and postprocess through its module's anyio.to_thread.run_sync."""
    import gradio.blocks as blocks

    pre = inspect.getsource(blocks.Blocks.preprocess_data)
    post = inspect.getsource(blocks.Blocks.postprocess_data)
    return (blocks.anyio in (anyio, ANYIO) and "anyio.to_thread.run_sync(\n" in pre and "block.preprocess," in pre
            and "block.postprocess," in post and "anyio.to_thread.run_sync(\n" in post)


def inline_processing() -> None:
    import gradio.blocks as blocks

    blocks.anyio = ANYIO
