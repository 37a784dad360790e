"""Gradio sessions rendered on demand (web/gradio_patches/sessions.py): same configs as gradio's, none rendered per API call."""

import json
import urllib.request

import gradio as gr
import pytest
from gradio.blocks import BlocksConfig
from gradio.state_holder import SessionState

from web.gradio_patches.sessions import lean_sessions


def small_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text", value="hello")
        number = gr.Slider(1, 10, value=3, label="Top k")
        with gr.Row():
            label = gr.Label()
            raw = gr.JSON()
        gr.Button("Run").click(lambda t, n: ({t: 1.0}, {"n": n}), [text, number], [label, raw], api_name="run_it")
    return demo


@pytest.fixture
def lean(monkeypatch):
    """Sessions made lean for one test (build_demo does it for the app), gradio's own restored afterwards."""
    monkeypatch.setattr(SessionState, "__init__", SessionState.__init__)
    monkeypatch.setattr(SessionState, "_update_value_in_config", SessionState._update_value_in_config)
    assert lean_sessions()
    assert lean_sessions()  # a second call changes nothing


def gradios_own(demo) -> SessionState:
    state = SessionState.__new__(SessionState)
    SessionState.__init__.original(state, demo)
    return state


def update(state, key, value, own=False):
    (SessionState._update_value_in_config.original if own else SessionState._update_value_in_config)(state, key, value)


def test_a_lean_session_has_the_configs_gradio_renders_also_after_updates(lean):
    demo = small_demo()
    lean, eager = SessionState(demo), gradios_own(demo)
    assert type(eager.config_values) is dict and type(lean.config_values) is not dict
    text, number, label = [b for b in demo.blocks.values() if isinstance(b, (gr.Textbox, gr.Slider, gr.Label))]
    lean.config_values[text._id]  # one rendered before the update, one after
    for key, value in ((text._id, "first"), (label._id, {"label": "x"})):
        update(lean, key, value)
        update(eager, key, value, own=True)
    lean[number._id] = gr.Slider(1, 10, value=7, label="Top k")  # a returned component replaces the block
    eager[number._id] = lean.blocks_config.blocks[number._id]
    assert list(lean.components) == list(eager.components)
    assert {c["props"].get("value") for c in lean.components if c["id"] == text._id} == {"first"}
    assert number._id in lean.config_values and -1 not in lean.config_values
    assert len(lean.config_values) == len(eager.config_values) == len(demo.blocks)


def test_a_lean_session_renders_nothing_until_asked(lean, monkeypatch):
    demo = small_demo()
    rendered = []
    real = BlocksConfig.config_for_block
    monkeypatch.setattr(BlocksConfig, "config_for_block",
                        staticmethod(lambda _id, *a, **k: rendered.append(_id) or real(_id, *a, **k)))
    state = SessionState(demo)
    state._update_value_in_config(next(iter(demo.blocks)), "x")
    assert rendered == []
    list(state.components)
    assert sorted(rendered) == sorted(demo.blocks)


def test_a_gradio_with_another_session_shape_is_left_alone():
    class Other:
        def __init__(self, blocks):
            self.config_values = {k: blocks.fns for k in blocks.blocks}

        def _update_value_in_config(self, key, value):
            self.config_values[key]["props"]["value"] = value

    init = Other.__init__
    assert lean_sessions(Other) is False
    assert Other.__init__ is init


@pytest.mark.parametrize("route", ["call", "run"])
def test_api_calls_render_no_block_config_and_answer(client, named, tiny, monkeypatch, route):
    """build_demo makes sessions lean. Before: every call without a session rendered all ~1,250 blocks of the app (~65 ms, ~2 MB kept per call)."""
    from bench.loadgen import Endpoint

    rendered = []
    real = BlocksConfig.config_for_block
    monkeypatch.setattr(BlocksConfig, "config_for_block",
                        staticmethod(lambda _id, *a, **k: rendered.append(_id) or real(_id, *a, **k)))
    endpoint = Endpoint(client.src.rstrip("/"), route)
    try:
        outputs = [named("text-classification", endpoint.call(
            {"model": tiny("text-classification"), "text": f"text number {i}", "top_k": 2, "scores": "default"}))
            for i in range(3)]
    finally:
        endpoint.close()
    assert rendered == []
    for out in outputs:
        assert len(out["raw"]) == 2 and out["labels"]["label"] == out["raw"][0]["label"]
    with urllib.request.urlopen(client.src.rstrip("/") + "/gradio_api/info") as response:  # the app still answers
        assert "/text_classification" in json.load(response)["named_endpoints"]
