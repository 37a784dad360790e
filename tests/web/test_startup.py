"""Start-up renders the config and builds the web app once, in launch() (web/gradio_patches/startup.py)."""

import json
import urllib.request

import gradio as gr
import gradio.blocks
import gradio.component_meta
import gradio.routes
import pytest

from web import server
from web.gradio_patches import startup
from web.gradio_patches.queue import polite_queue


def small_demo() -> gr.Blocks:
    with gr.Blocks(title="Small") as demo:
        text = gr.Textbox(label="Text", value="hello")
        raw = gr.JSON()
        gr.Button("Run").click(lambda t: {"echo": t}, text, raw, api_name="echo")
    return demo


def counting(monkeypatch) -> dict:
    """Counts gradio's config renders and app builds from here on."""
    counts = {"configs": 0, "apps": 0, "block_renders": 0}
    render, create = gradio.blocks.Blocks.get_config_file, gradio.routes.App.create_app
    render_blocks = gradio.blocks.BlocksConfig.get_config

    def counted_render_blocks(self, renderable=None):
        counts["block_renders"] += 1
        return render_blocks(self, renderable)

    def counted_render(self):
        counts["configs"] += 1
        return render(self)

    def counted_create(*args, **kwargs):
        counts["apps"] += 1
        return create(*args, **kwargs)

    monkeypatch.setattr(gradio.blocks.Blocks, "get_config_file", counted_render)
    monkeypatch.setattr(gradio.routes.App, "create_app", staticmethod(counted_create))
    monkeypatch.setattr(gradio.blocks.BlocksConfig, "get_config", counted_render_blocks)
    return counts


def test_the_installed_gradio_has_the_shape_the_deferral_relies_on():
    assert startup.shape_ok()  # else start-up silently does gradio's throw-away work again


def test_building_renders_no_config_and_makes_no_app_and_serving_renders_once(monkeypatch):
    counts = counting(monkeypatch)
    with startup.deferred_render():
        demo = small_demo()
    assert counts == {"configs": 0, "apps": 0, "block_renders": 0} and demo.config is None and demo.app is None
    _, url, _ = server.serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", quiet=True,
                              ssr_mode=False)
    try:
        # gradio alone: 4 renders of every block and 3 apps (in Blocks(), at the end of `with`, in launch())
        assert counts["apps"] == 1 and counts["block_renders"] == 1
        assert "get_config" not in vars(demo.default_config)  # later renders (a reload, a mount) are fresh
        assert demo.config == demo.get_config_file()  # what gradio itself renders now
        with urllib.request.urlopen(url + "config") as answer:
            config = json.load(answer)
        assert config["title"] == "Small"
        assert {c["props"].get("label") for c in config["components"]} >= {"Text"}
        assert any(d.get("api_name") == "echo" for d in config["dependencies"])
        request = urllib.request.Request(url + "gradio_api/call/echo", data=json.dumps({"data": ["hi"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            event = json.load(answer)["event_id"]
        with urllib.request.urlopen(f"{url}gradio_api/call/echo/{event}") as answer:
            assert '{"echo": "hi"}' in answer.read().decode()
    finally:
        demo.close()


def test_gradio_is_itself_again_after_the_build_even_one_that_failed():
    render, app = gradio.blocks.Blocks.get_config_file, gradio.blocks.App
    with pytest.raises(RuntimeError), startup.deferred_render():
        with gr.Blocks():
            raise RuntimeError("a task's build failed")
    assert gradio.blocks.Blocks.get_config_file is render and gradio.blocks.App is app is gradio.routes.App
    demo = small_demo()  # built outside: gradio's own way
    assert demo.config is not None and demo.app is not None


def test_a_gradio_of_another_shape_is_left_alone(monkeypatch, caplog):
    from web import gradio_patches

    patch = gradio_patches.PATCHES["deferred_render"]
    monkeypatch.setattr(gradio_patches, "_why_off", {})  # asked anew, as in a new process
    monkeypatch.setitem(gradio_patches.PATCHES, "deferred_render",
                        gradio_patches.Patch(patch.name, patch.buys, lambda: False))
    with startup.deferred_render():
        demo = small_demo()
    assert demo.config is not None and demo.app is not None  # built as gradio builds it
    assert "deferred_render is off: gradio 6.31.0 has changed the shape it relies on" in caplog.text


def test_the_playground_builds_without_rendering_and_serves_every_tab(monkeypatch, config, models, served):
    from app import build_demo

    counts = counting(monkeypatch)
    demo = build_demo(config, models)
    assert counts == {"configs": 0, "apps": 0, "block_renders": 0} and demo.app is None
    assert demo.analytics_enabled is False  # no telemetry thread calling home unless the host asks
    served_demo, url = served  # built the same way, launched as main() launches it
    with urllib.request.urlopen(url + "config") as answer:
        assert len(json.load(answer)["components"]) == len(served_demo.blocks)


def test_a_host_may_ask_for_gradios_telemetry(monkeypatch, config, models):
    from app import build_demo

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")
    monkeypatch.setattr(gradio.analytics, "version_check", lambda: None)  # and it calls nobody from a test
    assert build_demo(config, models).analytics_enabled is True


def test_each_components_schema_is_gradios_own_generated_once_per_data_model(served):
    import copy

    from gradio.components.base import Component

    demo, _ = served
    with_model = [b for b in demo.blocks.values() if isinstance(b, Component) and b.data_model is not None]
    for block in with_model:
        fresh = copy.copy(block)
        fresh._api_info_cache = None
        assert block.api_info() == Component.api_info.original(fresh), type(block).__name__
    models = {block.data_model for block in with_model}
    assert set(Component.api_info.schemas) >= models and len(models) < len(with_model) / 3
    same = [b for b in with_model if b.data_model is with_model[0].data_model]
    assert len(same) > 1 and same[0].api_info() is not same[1].api_info()  # copies: one changed, others not


def test_each_signature_is_inspects_own_read_once():
    import inspect

    assert startup.signatures_once()
    assert gradio.blocks.inspect is startup.SIGNATURES and gradio.component_meta.inspect is startup.SIGNATURES
    for component in (gr.Textbox, gr.Image, gr.Dropdown, gr.Blocks, gr.Tab):
        init = component.__init__
        assert startup.SIGNATURES.signature(init) == inspect.signature(init)
        assert startup.SIGNATURES.signature(init) is startup.SIGNATURES.signature(init)  # read once
        assert startup.SIGNATURES.getfullargspec(init) == inspect.getfullargspec(init)
    bound = gr.Textbox().change  # a bound method is a new object each time: read each time, never kept
    assert startup.SIGNATURES.signature(bound) == inspect.signature(bound)
    assert startup.SIGNATURES.signature(bound) is not startup.SIGNATURES.signature(bound)
    assert startup.SIGNATURES.signature(gr.Textbox.__init__, follow_wrapped=False) is not \
        startup.SIGNATURES.signature(gr.Textbox.__init__)  # a call with options goes to inspect
    assert startup.SIGNATURES.isgeneratorfunction is inspect.isgeneratorfunction  # the rest is inspect's own
    reads = startup.SIGNATURES.getfullargspec.known.cache_info()
    gr.Textbox(label="a"), gr.Textbox(label="b")  # gradio's component constructor reads its signature...
    after = startup.SIGNATURES.getfullargspec.known.cache_info()
    assert after.hits >= reads.hits + 2 and after.misses == reads.misses  # ...and finds it read already


def test_serving_launches_as_no_notebook_cell(monkeypatch):
    asked = []
    monkeypatch.setattr(gradio.utils, "ipython_check", lambda: asked.append(1) or False)  # gradio imports IPython
    demo = small_demo()
    server.serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", quiet=True, ssr_mode=False)
    try:
        assert asked == []
    finally:
        demo.close()


def test_a_start_up_without_the_garbage_collector_freezes_what_it_built_and_turns_it_on():
    import gc

    gc.disable()
    try:
        demo = small_demo()
        frozen = gc.get_freeze_count()
        server.serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", quiet=True, ssr_mode=False)
        assert gc.isenabled() and gc.get_freeze_count() > frozen  # later collections skip the start-up's objects
        assert not server.settle()  # on already: nothing more to do
    finally:
        gc.unfreeze()
        gc.enable()
        demo.close()


def test_models_load_with_the_garbage_collector_on_and_their_garbage_is_collected():
    import gc
    import weakref

    class Weights:
        pass

    gc.disable()
    try:
        with server.collecting():
            assert gc.isenabled()
            weights = Weights()
            weights.self = weights  # a cycle: only a collection frees it
            gone = weakref.ref(weights)
            del weights
        assert not gc.isenabled() and gone() is None  # collected on the way out; off again for the rest of start-up
    finally:
        gc.enable()
    with server.collecting():  # on already (importing app, as tests do): left as it is
        assert gc.isenabled()
    assert gc.isenabled()


def test_python_app_py_imports_gradio_with_the_garbage_collector_off_and_importing_app_leaves_it_on():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    probe = """
import builtins, gc, runpy, sys
real_import, seen = builtins.__import__, {}
def spying(name, *args, **kwargs):
    if name == "gradio" and "gradio" not in seen:
        seen["gradio"] = gc.isenabled()
    return real_import(name, *args, **kwargs)
builtins.__import__ = spying
sys.argv = ["app.py", "--help"]
try:
    runpy.run_path("app.py", run_name="__main__")
except SystemExit:
    pass
print("collector on at import gradio:", seen["gradio"])
"""
    ran = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120)
    assert "collector on at import gradio: False" in ran.stdout, ran.stderr[-2000:]
    import gc

    import app  # noqa: F401  (tests, Spaces' `import app`: not a server's start-up)

    assert gc.isenabled()


def test_once_it_serves_the_heavy_libraries_are_imported_in_the_background(tmp_path):
    """A first click without --preload pays for its model only: torch and transformers' pipelines are imported
    while the page is already served. Seen in a fresh interpreter, where nothing imported them before."""
    import subprocess
    import sys
    from pathlib import Path

    code = """
import sys
import gradio as gr
from web import server
with gr.Blocks() as demo:
    gr.Markdown("hi")
server.serve(demo, block=False, server_name="127.0.0.1", quiet=True, ssr_mode=False)
before = "transformers.pipelines" in sys.modules
demo.warming.join(120)
print("warm:", before, all(m in sys.modules for m in server.WARM), flush=True)
demo.close()
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          text=True, timeout=300)
    assert "warm: False True" in done.stdout, done.stdout + done.stderr[-2000:]
