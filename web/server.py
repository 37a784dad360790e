"""Serving the app: start-up with the garbage collector off (then frozen and on), and launch.

`python app.py` starts with the cyclic garbage collector off (app.py, before `import gradio`): start-up makes some
500,000 objects that live as long as the server, and the collector walked them over and over, ~0.6 s of a 3 s
start (0.44 s of it inside `import gradio`). `settle()`, once the server is up, freezes what start-up made
(`gc.freeze()`: later collections skip it, so they stay short while serving) and turns the collector back on. The
start-up's own cyclic garbage (~14,000 objects, ~4 MB) is frozen with it: a collection to find it would hold the
server for 0.17 s just as the first visitors arrive. Models preloaded at start load with the collector on
(`collecting()`): their garbage holds tensors.
"""

import contextlib
import gc
import importlib
import logging
import threading

from .gradio_patches.startup import launch_rendering_once

log = logging.getLogger(__name__)


@contextlib.contextmanager
def collecting():
    """The garbage collector on inside, if start-up had it off: loading a model makes cyclic garbage that holds
    tensors, and a model the cache lets go may only be freed by a collection. What is left is collected on the way
    out (a model load takes seconds; the collection ~0.2 s), then the collector is as it was."""
    if gc.isenabled():
        yield
        return
    gc.enable()
    try:
        yield
    finally:
        gc.collect()
        gc.disable()


def settle() -> bool:
    """Start-up is over: if it ran with the garbage collector off, what it made is frozen (collections skip it) and
    the collector is on again. True if it was off."""
    if gc.isenabled():
        return False
    gc.freeze()
    gc.enable()
    return True



WARM = ("torch", "transformers.pipelines")  # what every first model load imports (seconds of it; transformers too)


def warm_imports() -> threading.Thread:
    """Imports the heavy libraries in the background once the server is up, so that a visitor's first click pays
    for its model's own load only (the imports are not in start-up: the page is served before they finish)."""

    def run():
        from runtime.models import import_pipelines_once

        for module in WARM:
            try:
                if module == "transformers.pipelines":  # under the model loader's lock: transformers' lazy first
                    import_pipelines_once()  # import is not thread-safe, and a first click may be loading a model
                else:
                    importlib.import_module(module)
            except Exception:  # a broken install says so on first use, as before
                log.warning("could not warm up %s", module, exc_info=True)
                return

    thread = threading.Thread(target=run, name="warm-imports", daemon=True)
    thread.start()
    return thread


def serve(demo, block: bool = True, **launch_kwargs):
    """demo.launch(**launch_kwargs), its config rendered once (web/gradio_patches/startup.py); then, if block,
    serves until stopped. The heavy libraries are imported in the background once it serves."""
    launch_kwargs.setdefault("inline", False)  # not a notebook; asking would import IPython (0.25 s)
    launch_kwargs.setdefault("head", getattr(demo, "page_head", None))  # gradio 6 takes head in launch()
    try:
        answer = launch_rendering_once(demo, **launch_kwargs, prevent_thread_lock=True)
    finally:
        settle()  # also if launch failed: the collector is never left off
    demo.warming = warm_imports()
    if block:
        demo.block_thread()
    return answer
