"""Start-up without gradio's throw-away work: the config is rendered once and the web app built once, by launch().

(The garbage-collector part of start-up, which touches no gradio internals, is web/server.py.)

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
- `launch_rendering_once(demo, **launch_kwargs)` launches with the blocks' and events' part of the config rendered
  once (the part that costs; the few top-level keys launch() changes in between are rendered both times).
"""

import contextlib
import copy
import functools
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


def schemas_shape_ok() -> bool:
    """Component.api_info generates its data model's JSON schema and caches it on the component."""
    from gradio.components.base import Component

    original = getattr(Component.api_info, "original", Component.api_info)
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return False
    return "model_json_schema()" in source and "_api_info_cache" in source


def schemas_once() -> bool:
    """Component.api_info from one schema per data model (copied per component); True if in place."""
    from gradio.components.base import Component

    if hasattr(Component.api_info, "original"):  # in place already
        return True
    if not schemas_shape_ok():
        log.warning("gradio's Component.api_info changed shape; schemas are generated per component as gradio does")
        return False
    original = Component.api_info
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


def signatures_shape_ok() -> bool:
    """gradio's blocks and component_meta read signatures through their modules' `inspect`."""
    import gradio.blocks as blocks
    import gradio.component_meta as component_meta

    return all(getattr(module, "inspect", None) in (inspect, SIGNATURES) for module in (blocks, component_meta))


def signatures_once() -> bool:
    """gradio's blocks and component_meta read each function's signature once; True if in place."""
    import gradio.blocks as blocks
    import gradio.component_meta as component_meta

    if not signatures_shape_ok():
        log.warning("gradio no longer reads signatures through its modules' `inspect`; each is read per call")
        return False
    for module in (blocks, component_meta):
        module.inspect = SIGNATURES
    return True


@contextlib.contextmanager
def deferred_render():
    """Inside: gr.Blocks() neither renders its config nor builds its web app; launch() does both, once."""
    import gradio.blocks as blocks

    from . import on

    if not on("deferred_render") or not shape_ok():
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


def render_once_shape_ok() -> bool:
    """launch() renders the config through get_config_file() once, and the app's set-up (for the MCP flag) once
    more, each through the blocks' default_config.get_config() (the part that costs), with nothing changed in
    between (gradio.routes renders it in two places: that set-up and mount_gradio_app)."""
    import gradio.blocks as blocks
    import gradio.routes as routes

    try:
        launch = inspect.getsource(blocks.Blocks.launch)
        config_file = inspect.getsource(blocks.Blocks.get_config_file)
        routes_source = inspect.getsource(routes)
    except (OSError, TypeError, AttributeError):
        return False
    return (launch.count("self.get_config_file()") == 1 and "self.default_config.get_config()" in config_file
            and routes_source.count("blocks.get_config_file()") == 2)


def launch_rendering_once(demo, **launch_kwargs):
    """demo.launch(**launch_kwargs) with the blocks' and events' config rendered once (launch() asks twice with
    nothing changed in between; later asks render afresh); plain demo.launch() if the patch is off."""
    from . import on

    if not on("render_once"):
        return demo.launch(**launch_kwargs)
    config = demo.default_config
    rendered = []

    def render_once(renderable=None):
        if renderable is not None:  # a gr.render's part
            return type(config).get_config(config, renderable)
        if rendered:
            del config.get_config
            return rendered.pop()
        rendered.append(type(config).get_config(config))
        return rendered[0]

    config.get_config = render_once
    try:
        return demo.launch(**launch_kwargs)
    finally:
        config.__dict__.pop("get_config", None)
