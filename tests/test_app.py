import subprocess
import sys
from pathlib import Path

import pytest

from tasks import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def test_import_app_loads_no_model_and_no_torch():
    code = (
        "import sys, app; demo = app.demo; "
        "heavy = [m for m in ('torch', 'transformers.pipelines', 'diffusers') if m in sys.modules]; "
        "print(type(demo).__name__, heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "Blocks []"


def test_registry_lookup_fails_loudly_with_the_valid_names():
    with pytest.raises(KeyError, match="Unknown task 'text-clasification'.*Valid tasks: .*text-classification"):
        REGISTRY["text-clasification"]
    assert REGISTRY["text_classification"] is REGISTRY["text-classification"]


def test_foundation_tasks_are_registered_in_their_modalities():
    groups = REGISTRY.by_modality()
    assert "text-classification" in [t.name for t in groups["Text"]]
    assert "image-classification" in [t.name for t in groups["Vision"]]
    assert "automatic-speech-recognition" in [t.name for t in groups["Audio"]]


def test_every_task_has_its_api_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for task in REGISTRY.values():
        assert f"/{task.api_name}" in endpoints, task.name


def test_unlisted_model_is_refused_and_next_request_works(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not in the list of choices"):  # gradio checks the picker first
        client.predict("someone/else", "hello", 1, api_name="/text_classification")
    with pytest.raises(AppError, match="Type some text"):
        client.predict(tiny("text-classification"), "   ", 1, api_name="/text_classification")
    label, _, _ = client.predict(tiny("text-classification"), "hello", 1, api_name="/text_classification")
    assert len(label["confidences"]) == 1


def test_left_out_task_is_logged_not_fatal(monkeypatch):
    import tasks
    from runtime.spec import Task

    broken = Task(name="no-such-pipeline", title="Nope", modality="Text", models=("x",), inputs=list,
                  outputs=list, prepare=None, present=None)
    assert broken.missing() == "the installed transformers has no such pipeline"
    assert Task(**{**broken.__dict__, "name": "text-classification", "requires": ("no_such_pkg",)}).missing() \
        == "needs the 'no_such_pkg' package"
    assert tasks.discover().keys() == REGISTRY.keys()


def test_cli_builds_tiny_models_and_serves_them(tmp_path):
    done = subprocess.run([sys.executable, "app.py", "--build-tiny-models", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "playground.json").exists() and "python app.py --config" in done.stdout
