"""Faults: models that fail to load say which and why, leave the cache clean, and streams release their threads."""

import dataclasses
import os
import shutil
import threading
import time
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.config import ModelChoice
from runtime.models import ModelCache, load_pipeline
from tasks import REGISTRY

TEXT = REGISTRY["text-classification"]
OOM_MARKER = "SIMULATE_OOM"  # a model folder holding this file runs out of memory while loading


def load_or_run_out_of_memory(task, choice, placement):
    """The real loader, except that a marked folder raises the error torch raises when memory runs out."""
    import torch

    if (Path(choice.id) / OOM_MARKER).exists():
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 15.77 GiB total)")
    return load_pipeline(task, choice, placement)


@pytest.fixture(scope="module")
def broken(tmp_path_factory, tiny):
    """Copies of the tiny text classifier, each broken in one way (and fixable by the test)."""
    good = Path(tiny("text-classification"))
    root = tmp_path_factory.mktemp("broken")
    folders = {}
    for name in ("missing-weights", "corrupt-weights", "out-of-memory"):
        folders[name] = root / name
        shutil.copytree(good, folders[name])
    (folders["missing-weights"] / "model.safetensors").unlink()
    (folders["corrupt-weights"] / "model.safetensors").write_bytes(b"\x00garbage, not a safetensors file" * 100)
    (folders["out-of-memory"] / OOM_MARKER).touch()
    return good, folders


@pytest.fixture(scope="module")
def fault_app(config, broken, tiny):
    """The text-classification tab (with an OOM-capable loader) and the image tab, sharing one model cache, built
    as build_demo builds them: (client, models, tabs by task name)."""
    from gradio_client import Client

    from runtime.batching import Batcher, BatchSettings
    from web.panels import PANELS
    from web.tab import build_tab

    good, folders = broken
    choices = (ModelChoice(str(good), "good"), *(ModelChoice(str(f), name) for name, f in folders.items()))
    fault_config = dataclasses.replace(config, models={**config.models, TEXT.name: choices})
    models = ModelCache()
    batcher = Batcher(BatchSettings(config.batch_size, config.batch_wait_ms))  # as build_demo makes it
    tabs, gates = {}, {}
    with gr.Blocks() as demo:
        for task in (dataclasses.replace(TEXT, load=load_or_run_out_of_memory), REGISTRY["image-classification"]):
            tab = tabs[task.name] = build_tab(task, fault_config, models, batcher, gates)
            for panel in PANELS:
                panel.attach(tab)
            tab.wire()
    try:
        _, url, _ = demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", ssr_mode=False, quiet=True)
        yield Client(url, ssl_verify=False, verbose=False), models, tabs
    finally:
        demo.close()


def run(fault_app, task: str, **values) -> dict:
    """One Run of a tab of the fault app, values by name: {output name: value}."""
    client, _, tabs = fault_app
    tab = tabs[task]
    return dict(zip(tab.output_names, client.predict(api_name=f"/{tab.task.api_name}", **values), strict=True))


def classify(fault_app, model, text="a fine day"):
    out = run(fault_app, TEXT.name, model=model, text=text, top_k=2)
    return out["labels"], out["status"]


@pytest.mark.parametrize("name, cause", [
    ("missing-weights", r"model\.safetensors|weights|no file"),
    ("corrupt-weights", r"damaged|corrupt|header|deserializ"),
    ("out-of-memory", r"ran out of memory"),
])
def test_failed_load_names_model_and_cause_and_the_retry_after_the_fix_works(
    fault_app, broken, tiny, asset, name, cause
):
    import re

    _, models, _ = fault_app
    good, folders = broken
    with pytest.raises(AppError) as failed:
        classify(fault_app, str(folders[name]))
    message = str(failed.value)
    assert f"'{name}'" in message, message  # names the model
    assert re.search(cause, message, re.IGNORECASE), message  # and the cause
    assert "Traceback" not in message and "OutOfMemoryError" not in message and "<class" not in message
    assert not any(key[1] == str(folders[name]) for key in models.loaded())  # nothing half-loaded was cached

    # other models keep serving meanwhile, on this tab and on another
    assert "good" in classify(fault_app, str(good))[1]
    out = run(fault_app, "image-classification", model=tiny("image-classification"),
              image=handle_file(asset("chelsea.jpg")), top_k=1)
    assert out["labels"]["label"]

    # the operator fixes the folder: the very next request loads it (the failure was not cached)
    (folders[name] / OOM_MARKER).unlink(missing_ok=True)
    shutil.copy(good / "model.safetensors", folders[name] / "model.safetensors")
    label, status = classify(fault_app, str(folders[name]))
    assert set(c["label"] for c in label["confidences"]) == {"POSITIVE", "NEGATIVE"}
    assert name in status and "loaded in" in status


# ---- streaming: cancelled and abandoned generations give their threads back ---------------------------------

LONG = {"max_new_tokens": 3000, "min_new_tokens": 3000, "do_sample": False}  # far longer than any test waits


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    from transformers import pipeline

    from runtime.tiny import causal_lm

    folder = tmp_path_factory.mktemp("gpt2")
    causal_lm(folder)
    return pipeline("text-generation", model=str(folder), device="cpu")


def settled_threads(expected: int, seconds: float = 15.0) -> int:
    deadline = time.monotonic() + seconds
    while threading.active_count() > expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return threading.active_count()


def test_twenty_cancelled_generations_leave_no_threads(generator):
    from runtime.streaming import stream_text

    stream_text_warm = list(stream_text(generator, "hi", {"max_new_tokens": 2, "do_sample": False}))
    assert stream_text_warm
    before = threading.active_count()
    for _ in range(20):
        stream = stream_text(generator, "hello", LONG)
        next(stream), next(stream)  # generation is under way
        assert threading.active_count() > before
        stream.close()  # the visitor pressed Stop
    assert settled_threads(before) == before


def test_twenty_abandoned_generations_leave_no_threads(generator):
    from runtime.streaming import stream_text

    before = threading.active_count()
    streams = []
    for _ in range(20):
        stream = stream_text(generator, "hello", LONG, idle_seconds=0.5)
        next(stream)  # started, then nobody reads again (a closed browser tab)
        streams.append(stream)
    assert settled_threads(before, seconds=60) == before  # each stops by itself once idle
    for stream in streams:  # and the readers end cleanly afterwards
        assert all(isinstance(text, str) for text in stream)


def test_models_loading_at_once_on_a_cold_server_all_load(tiny_config):
    """Two visitors' first requests at once used to fail: transformers' lazy first import is not thread-safe."""
    import subprocess
    import sys

    code = (
        "import threading; from runtime.config import Config; from runtime.models import ModelCache; "
        "from tasks import REGISTRY; "
        f"config = Config.load({str(tiny_config)!r}); cache = ModelCache(); errors = []\n"
        "def load(task):\n"
        "    try: cache.get(task, config.choices(task)[0])\n"
        "    except Exception as error: errors.append(str(error))\n"
        "threads = [threading.Thread(target=load, args=(t,)) for t in REGISTRY.values()]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]; print('ERRORS', errors)"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ERRORS []" in done.stdout, done.stdout
