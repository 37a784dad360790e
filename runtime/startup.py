"""Start-up without gradio's throw-away work: the config is rendered once and the web app built once, by launch().

gradio 6 builds a FastAPI app in `Blocks.__init__` (through `queue()`), renders the whole config and builds the app
again in `Blocks.__exit__`, and `launch()` renders the config twice more (once itself, once in `create_app` for the
MCP flag) and builds the app a third time. For this app (1,248 blocks) that is four renders and three apps where one
of each is used: about a third of the start-up after `import gradio`.

- `deferred_render()` wraps the `with gr.Blocks()` that builds the UI: inside it, neither step runs, so `demo.config`
  and `demo.app` stay None until `launch()` (or `gr.mount_gradio_app`, or `demo.queue()`) makes them. If gradio's
  Blocks no longer has the shape this relies on, it logs and changes nothing (a test checks the shape).
- `schemas_once()`: gradio asks pydantic for the JSON schema of a component's data model once per component (158
  here, from ~15 models), the larger part of the first render; the schema depends on the model only, so it is
  generated once per model and copied.
- `signatures_once()`: gradio reads the signature of a component's `__init__` at every construction and every config
  render (over 3,000 times here); a function's signature never changes, so each is read once.
- `serve(demo, **launch_kwargs)` launches with the blocks' and events' part of the config rendered once (the part
  that costs; the few top-level keys launch() changes in between are rendered both times), then blocks as launch()
  would, after `settle()`. It launches with `inline=False`: a server is no notebook cell, and gradio would import
  IPython (0.25 s) to find that out, on the main thread while the first page renders.
- `python app.py` starts with the cyclic garbage collector off (app.py, before `import gradio`): start-up makes some
  500,000 objects that live as long as the server, and the collector walked them over and over, ~0.6 s of a 3 s
  start (0.44 s of it inside `import gradio`). `settle()`, once the server is up, freezes what start-up made
  (`gc.freeze()`: later collections skip it, so they stay short while serving) and turns the collector back on.
  The start-up's own cyclic garbage (~14,000 objects, ~4 MB) is frozen with it: a collection to find it would hold
  the server for 0.17 s just as the first visitors arrive. Models preloaded at start load with the collector on
  (`collecting()`): their garbage holds tensors.
"""

import contextlib
import copy
import functools
import gc
import inspect
import logging
import threading
import types

log = logging.getLogger(__name__)
_one_build = threading.Lock()  # the patch is module-wide: two builds at once must not restore each other's


class _NoApp:
    """Stands in for gradio.routes.App inside gradio.blocks while the UI is built: no app is made."""

    @staticmethod
    def create_app(*_, **__):
        return None


def shape_ok() -> bool:
    """gradio.blocks still calls `App.create_app` from queue() and __exit__, and renders the config in __exit__."""
    import gradio.blocks as blocks

    try:
        exit_source = inspect.getsource(blocks.Blocks.__exit__)
        queue_source = inspect.getsource(blocks.Blocks.queue)
    except (OSError, TypeError, AttributeError):
        return False
    return (
        getattr(blocks, "App", None) is not None
        and "self.config = self.get_config_file()" in exit_source
        and "App.create_app(" in exit_source
        and "App.create_app(" in queue_source
    )


def schemas_once() -> bool:
    """Component.api_info from one schema per data model (copied per component); True if in place."""
    from gradio.components.base import Component

    if hasattr(Component.api_info, "original"):  # in place already
        return True
    original = Component.api_info
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        source = ""
    if "model_json_schema()" not in source or "_api_info_cache" not in source:
        log.warning("gradio's Component.api_info changed shape; schemas are generated per component as gradio does")
        return False
    schemas: dict = {}

    def api_info(self):
        model = self.data_model
        if self._api_info_cache is None and model is not None:
            if model in schemas:
                self._api_info_cache = copy.deepcopy(schemas[model])
            else:
                schemas[model] = copy.deepcopy(original(self))
        return original(self)

    api_info.original = original
    api_info.schemas = schemas
    Component.api_info = api_info
    return True


class _Signatures(types.ModuleType):
    """`inspect` as gradio's blocks and component_meta see it: signature() and getfullargspec() of a plain function
    are read once (a function's signature does not change); bound methods, other callables and calls with options
    go to inspect each time, and so does everything else."""

    def __init__(self):
        super().__init__("inspect")
        self.signature = self.once(inspect.signature)
        self.getfullargspec = self.once(inspect.getfullargspec)

    def __getattr__(self, name):  # only for what __init__ did not set
        return getattr(inspect, name)

    @staticmethod
    def once(read):
        known = functools.lru_cache(maxsize=4096)(read)  # bounded: gradio reads a few hundred __init__s

        @functools.wraps(read)
        def read_once(obj, *args, **kwargs):
            if args or kwargs or type(obj) is not types.FunctionType:
                return read(obj, *args, **kwargs)
            return known(obj)

        read_once.known = known
        return read_once


SIGNATURES = _Signatures()


def signatures_once() -> bool:
    """gradio's blocks and component_meta read each function's signature once; True if in place."""
    import gradio.blocks as blocks
    import gradio.component_meta as component_meta

    modules = (blocks, component_meta)
    if not all(getattr(module, "inspect", None) in (inspect, SIGNATURES) for module in modules):
        log.warning("gradio no longer reads signatures through its modules' `inspect`; each is read per call")
        return False
    for module in modules:
        module.inspect = SIGNATURES
    return True


@contextlib.contextmanager
def deferred_render():
    """Inside: gr.Blocks() neither renders its config nor builds its web app; launch() does both, once."""
    import gradio.blocks as blocks

    if not shape_ok():
        log.warning("gradio's Blocks changed shape; start-up renders the config as gradio does (runtime/startup.py)")
        yield
        return
    with _one_build:
        app, render = blocks.App, blocks.Blocks.get_config_file
        blocks.App = _NoApp
        blocks.Blocks.get_config_file = lambda self: None
        try:
            yield
        finally:
            blocks.App, blocks.Blocks.get_config_file = app, render


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
    """demo.launch(**launch_kwargs) rendering its blocks and events once; then, if block, serves until stopped."""
    config = demo.default_config
    rendered = []

    def render_once(renderable=None):  # launch() asks twice with nothing changed in between; later asks: fresh
        if renderable is not None:  # a gr.render's part
            return type(config).get_config(config, renderable)
        if rendered:
            del config.get_config
            return rendered.pop()
        rendered.append(type(config).get_config(config))
        return rendered[0]

    config.get_config = render_once
    launch_kwargs.setdefault("inline", False)  # not a notebook; asking would import IPython (0.25 s)
    try:
        answer = demo.launch(**launch_kwargs, prevent_thread_lock=True)
    finally:
        config.__dict__.pop("get_config", None)
        settle()  # also if launch failed: the collector is never left off
    if block:
        demo.block_thread()
    return answer
