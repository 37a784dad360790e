"""Remote models (runtime/remote.py) against a real server on loopback: the session's app in endpoint mode
(web/endpoint.py) serves its tiny models by the Inference API protocol, and a front app whose config points every
task that can run remotely at it answers as the local run does. Over the registry: a new task is covered."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from runtime.config import ModelChoice
from runtime.devices import DeviceManager
from runtime.models import ModelCache
from runtime.runner import Runner
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
CHATS = ("text-generation", "image-text-to-text")  # OpenAI-compatible chat: tested against `transformers serve`
REMOTE = [t for t in REGISTRY.values() if t.runs_remote and t.name not in CHATS]


def example(task) -> dict:
    """The task's first example by name, as the tab's widgets hand it over: files as paths in assets/, tables as
    DataFrames."""
    import pandas as pd

    def value(v):
        if isinstance(v, str) and len(v) < 256 and (ROOT / v).is_file():  # a long text is no file name
            return str(ROOT / v)
        return pd.DataFrame(v["data"], columns=v["headers"]) if isinstance(v, dict) and "headers" in v else v

    return {k: value(v) for k, v in task.examples[0].items()}


def remote_choice(url: str, task, folder: str, **settings) -> ModelChoice:
    """The session app's tiny model of `task`, as a front app's operator names it: by its endpoint URL."""
    name = Path(folder).name
    return ModelChoice(name, endpoint=f"{url.rstrip('/')}/models/{name}/pipeline/{task.name}", **settings)


def front(config, task, choice) -> Runner:
    """A runner of a front app whose one model for `task` is `choice`, with a model cache of its own."""
    return Runner(task, dataclasses.replace(config, models={task.name: (choice,)}), ModelCache(DeviceManager("cpu")))


def same(a, b, path="result") -> None:
    """Equal values, floats within 1e-3 (the vectors travel as JSON), images pixel for pixel within 2 levels."""
    import pandas as pd
    from PIL import Image

    if isinstance(a, pd.DataFrame):
        same(a.to_dict("split"), b.to_dict("split"), path)
    elif isinstance(a, (Image.Image, np.ndarray)):
        tolerance = 1e-3 if isinstance(a, np.ndarray) and a.dtype.kind == "f" else 2  # samples; 8-bit pixels
        a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        assert a.size == 0 or np.abs(a - b).max() <= tolerance, path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: {sorted(a)} != {sorted(b)}"
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=1e-3), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_tasks_that_can_run_remotely_are_the_ones_inference_client_serves():
    assert {"text-classification", "token-classification", "feature-extraction", "image-classification",
            "object-detection", "automatic-speech-recognition", "text-generation"} <= {t.name for t in REMOTE} | set(CHATS)
    local_only = {t.name for t in REGISTRY.values() if not t.runs_remote}
    assert {"depth-estimation", "mask-generation", "keypoint-matching", "decision"} <= local_only


@pytest.mark.parametrize("task", REMOTE, ids=lambda t: t.name)
def test_a_remote_model_answers_as_the_same_model_run_here(task, config, models, served, tiny):
    local = Runner(task, config, models).run(None, example(task))
    remote = front(config, task, remote_choice(served[1], task, tiny(task.name))).run(None, example(task))
    host = served[1].split("//")[1].rstrip("/")
    assert f"remote · {host}" in remote.status and "round trip" in remote.status, remote.status
    same(remote.outputs, local.outputs, task.name)


def test_the_page_says_where_each_model_runs(config, tiny):
    """The picker marks a remote model with its server, model info says who serves it, and on such a server a task
    no model server can run says it is local only."""
    from app import build_demo
    from web.tab import describe_model

    task = REGISTRY["text-classification"]
    remote = ModelChoice("acme/sentiment", label="Acme sentiment", endpoint="http://gpu-box:8080")
    local = config.models[task.name][0]
    front_config = dataclasses.replace(config, models={**config.models, task.name: (remote, local)})
    demo = build_demo(front_config)
    picker = demo.tabs[task.name].model
    assert picker.choices[0] == ("Acme sentiment (remote · gpu-box:8080)", "acme/sentiment")
    assert "served by gpu-box:8080" in describe_model(front_config, task, "acme/sentiment")
    local_only = next(t for t in REGISTRY.values() if not t.runs_remote)
    assert "local only" in demo.tabs[local_only.name].model.info
    assert not (demo.tabs[task.name].model.info or "").count("local only")
    demo.close()


def test_readmes_remote_config_loads_and_its_local_only_list_is_the_registrys(tmp_path):
    from runtime.config import Config

    readme = (ROOT / "README.md").read_text().split("## Remote models and endpoint mode")[1]
    (tmp_path / "remote.json").write_text(readme.split("```json")[1].split("```")[0])
    config = Config.load(tmp_path / "remote.json")
    config.check_remote(REGISTRY)
    assert all(choices[0].remote for choices in config.models.values())
    flat = " ".join(readme.split())
    listed = flat.split("Tasks no model-server protocol has (")[1].split(") run locally only")[0]
    assert {t.title for t in REGISTRY.values() if not t.runs_remote} == {n.strip() for n in listed.split(", ")}


@pytest.mark.parametrize("task", [t for t in REGISTRY.values() if t.runs_remote], ids=lambda t: t.name)
def test_reproduce_in_code_of_a_remote_model_runs_outside_this_repo(task, config, served, tiny, tmp_path):
    """The InferenceClient call written for a remote model's run, executed with `python -I` in an empty folder
    holding the run's files: it reaches the same server and prints an answer."""
    import os
    import shutil
    import subprocess
    import sys

    from runtime.snippets import SnippetContext, files_of, snippet

    choice = remote_choice(served[1], task, tiny(task.name))
    if task.streams:  # a chat: its server's OpenAI route, /models/<model>/v1/chat/completions
        choice = dataclasses.replace(choice, endpoint=choice.endpoint.split("/pipeline/")[0])
    values = example(task) | ({"max_new_tokens": 4} if task.streams else {})
    result = front(config, task, choice).run(None, values)
    files = files_of(values.values())
    for path in files:
        shutil.copy(path, tmp_path)
    code = snippet(SnippetContext(task, choice.id, {}, result.call, files, remote=choice))
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}  # loopback only: nothing leaves here
    ran = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=180)
    assert ran.returncode == 0, f"{code}\n{ran.stderr[-2000:]}"
    assert ran.stdout.strip(), code


def test_endpoint_mode_keeps_the_hosting_policy(served, tiny):
    """Only the server's listed models; files as data, never a path or a URL to fetch; a sentence for each."""
    import httpx

    url, image = served[1].rstrip("/"), Path(tiny("image-classification")).name
    with httpx.Client(trust_env=False, timeout=60) as http:
        unknown = http.post(f"{url}/models/acme/not-offered", json={"inputs": "hi"})
        assert unknown.status_code == 404 and "offers no model 'acme/not-offered'" in unknown.json()["error"]
        for sneaky in ("/etc/passwd", "http://example.com/cat.png"):
            refused = http.post(f"{url}/models/{image}/pipeline/image-classification", json={"inputs": sneaky})
            assert refused.status_code == 400 and "paths and web addresses are not accepted" in refused.json()["error"]
        no_task = http.post(f"{url}/models/{image}/pipeline/no-such-task", json={"inputs": "hi"})
        assert no_task.status_code == 404 and "no task 'no-such-task'" in no_task.json()["error"]
        raw = http.post(f"{url}/models/{image}", content=(ROOT / "assets/chelsea.jpg").read_bytes(),
                        headers={"content-type": "image/jpeg"})  # a file's bytes, as InferenceClient sends one
        assert raw.status_code == 200 and {"label", "score"} <= set(raw.json()[0])


def test_a_text_longer_than_the_window_is_read_from_its_start_remotely_too(config, models, served, tiny):
    """InferenceClient's text classification has no truncation setting: endpoint mode cuts as the tab does."""
    task = REGISTRY["text-classification"]
    long_text = "the movie was wonderful and the actors were great " * 200
    local = Runner(task, config, models).run(None, {"text": long_text})
    remote = front(config, task, remote_choice(served[1], task, tiny(task.name))).run(None, {"text": long_text})
    same(remote.outputs, local.outputs)


def test_endpoint_mode_refuses_a_file_over_the_upload_limit(served, tiny):
    from web.endpoint import InferenceAPI

    api = InferenceAPI(served[0].tabs)
    picture = (ROOT / "assets/chelsea.jpg").read_bytes()
    path = f"{Path(tiny('image-classification')).name}/pipeline/image-classification"
    status, body, _ = api.answer(path, picture, "image/jpeg", max_file_size=len(picture) - 1)
    assert status == 413 and b"larger than this server accepts" in body
    assert api.answer(path, picture, "image/jpeg", max_file_size=len(picture))[0] == 200


@pytest.mark.parametrize("task_name", ["text-classification", "zero-shot-classification", "feature-extraction"])
def test_endpoint_mode_batches_concurrent_requests_and_answers_each_as_alone(served, tiny, task_name):
    """A task's `serve` calls its pipeline batched with concurrent requests (the tabs' among them), as its run does:
    16 requests at once, each answered as it is alone."""
    import orjson

    from tests.runtime.test_batching import SENTENCES, concurrently
    from web.endpoint import InferenceAPI

    api = InferenceAPI(served[0].tabs)
    path = f"{Path(tiny(task_name)).name}/pipeline/{task_name}"
    parameters = {"candidate_labels": ["cats", "films"]} if task_name == "zero-shot-classification" else {}

    def ask(text):
        status, body, _ = api.answer(path, orjson.dumps({"inputs": text, "parameters": parameters}), "application/json")
        assert status == 200, body
        return orjson.loads(body)

    alone = [ask(text) for text in SENTENCES]
    batcher = served[0].tabs[task_name].runner.batcher
    before = len(batcher.sizes)
    together = concurrently(ask, SENTENCES)
    assert max(batcher.sizes[before:]) > 1
    for got, want in zip(together, alone):
        same(got, want)
