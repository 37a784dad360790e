"""Session fixtures: tiny real models built locally once, and the app launched on 127.0.0.1 with them."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # no Hub here: a missing model must fail in milliseconds, not after retries
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

if os.environ.get("PLAYGROUND_TESTS_WITHOUT_GRADIO"):  # the engine's tests, run with gradio out of reach
    import importlib.abc
    import sys

    class _NoGradio(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "gradio" or name.startswith("gradio."):
                raise ImportError(f"the engine's tests must not import gradio, but {name} was imported")

    sys.meta_path.insert(0, _NoGradio())

from pathlib import Path

import pytest

from runtime.config import Config
from tasks import REGISTRY

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    """Every task's tiny models, built once per test session (the same builder as `app.py --build-tiny-models`)."""
    from runtime.tiny import build_all
    from tests.tiny_models import tiny_models

    path = build_all(tmp_path_factory.mktemp("tiny"), tiny_models(REGISTRY))
    import json

    failed = json.loads(path.read_text())["failed"]
    assert not failed, f"tiny model builders failed: {failed}"
    return path


@pytest.fixture(scope="session")
def config(tiny_config) -> Config:
    return Config.load(tiny_config)


@pytest.fixture(scope="session")
def tiny(config):
    """tiny(task_name) -> the folder of that task's first tiny model (or the named one)."""

    def folder(task: str, name: str | None = None) -> str:
        choices = config.models[task]
        return next(c.id for c in choices if name is None or c.id.endswith("/" + name))

    return folder


@pytest.fixture(scope="session")
def models(config):
    """The app's model cache, so a test can look at the very pipeline the server runs."""
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache

    return ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)


@pytest.fixture(scope="session")
def served(config, models):
    """The whole app with the tiny models, served on 127.0.0.1 as main() serves it: (demo, url)."""
    from app import build_demo, web_app_parts
    from web.gradio_patches.queue import polite_queue
    from web.server import serve

    demo = build_demo(config, models)
    try:
        _, url, _ = serve(
            polite_queue(demo, None), block=False, server_name="127.0.0.1", ssr_mode=False, quiet=True,
            app_kwargs=web_app_parts(demo, inference_api=True),  # as main() with --serve-inference-api
        )
        yield demo, url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def client(served):
    """A gradio_client.Client talking to the served app."""
    from gradio_client import Client

    return Client(served[1], ssl_verify=False, verbose=False)


@pytest.fixture
def asset():
    return lambda name: str(ASSETS / name)


@pytest.fixture(scope="session")
def predict(client, named):
    """predict(task, **values) -> {output name: value}: one Run through Gradio's API, every value by name
    (the API's parameter names are the task's input and parameter names, plus "model" and, on a chat, "history").
    The answer holds the task's outputs by name, then "raw", "status" and "code"."""

    def call(task: str, **values) -> dict:
        return named(task, client.predict(api_name=f"/{REGISTRY[task].api_name}", **values))

    return call


@pytest.fixture(scope="session")
def call_event(served, client):
    """call_event(api_name, **values) -> the answer tuple of an undocumented event (Compare, Batch), its values given
    by name; gradio_client takes keywords only for documented endpoints, so they are put in the event's order here."""

    def call(api_name: str, **values):
        fn = next(f for f in served[0].fns.values() if f.api_name == api_name)
        unknown = set(values) - set(fn.input_keyword_names)
        assert not unknown, f"{api_name} takes no {sorted(unknown)}; it takes {fn.input_keyword_names}"
        ordered = [values.get(name, block.value if not callable(block.value) else None)
                   for name, block in zip(fn.input_keyword_names, fn.inputs, strict=True)]
        return client.predict(*ordered, api_name=f"/{api_name}")

    return call


@pytest.fixture(scope="session")
def named(served):
    """named(task, answer) -> {output name: value} for an answer tuple of the task's Run event (e.g. each of a
    streamed job's outputs)."""
    return lambda task, answer: dict(zip(served[0].tabs[REGISTRY[task].name].output_names, answer, strict=True))


@pytest.fixture(scope="session")
def example():
    """example(task) -> the task's first example by input name, as a client sends it (files in assets/ uploaded)."""
    from gradio_client import handle_file

    def sent(value):
        if isinstance(value, str) and value.startswith("assets/") and (ASSETS.parent / value).is_file():
            return handle_file(str(ASSETS.parent / value))
        if isinstance(value, list):
            return [sent(v) for v in value]
        if isinstance(value, dict):
            return {k: sent(v) for k, v in value.items()}
        return value

    def first(task) -> dict:
        assert task.examples, f"{task.name} has no examples: every tab needs at least one"
        return {name: sent(value) for name, value in task.examples[0].items()}

    return first
