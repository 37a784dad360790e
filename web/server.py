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

from .gradio_patches.startup import launch_rendering_once


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



def serve(demo, block: bool = True, **launch_kwargs):
    """demo.launch(**launch_kwargs), its config rendered once (web/gradio_patches/startup.py); then, if block,
    serves until stopped."""
    launch_kwargs.setdefault("inline", False)  # not a notebook; asking would import IPython (0.25 s)
    try:
        answer = launch_rendering_once(demo, **launch_kwargs, prevent_thread_lock=True)
    finally:
        settle()  # also if launch failed: the collector is never left off
    if block:
        demo.block_thread()
    return answer
