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
- `serve(demo, **launch_kwargs)` launches with the blocks' and events' part of the config rendered once (the part
  that costs; the few top-level keys launch() changes in between are rendered both times), then blocks as launch()
  would.
"""

import contextlib
import copy
import inspect
import logging
import threading

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
    try:
        answer = demo.launch(**launch_kwargs, prevent_thread_lock=True)
    finally:
        config.__dict__.pop("get_config", None)
    if block:
        demo.block_thread()
    return answer
