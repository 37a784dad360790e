import re
import subprocess
import sys
from pathlib import Path

import pytest

from tasks import REGISTRY, discover

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


def test_every_pipeline_task_of_transformers_has_a_tab():
    """A task a future transformers adds shows up here as a failure, not as a silent gap."""
    from transformers.pipelines import SUPPORTED_TASKS

    assert not set(SUPPORTED_TASKS) - set(discover("")), "transformers offers pipeline tasks without a tab"


def test_every_task_has_its_api_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for task in REGISTRY.values():
        assert f"/{task.api_name}" in endpoints, task.name


def test_unlisted_model_is_refused_and_next_request_works(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="only offers the listed models for Text classification: tiny-"):
        client.predict(model="someone/else", text="hello", top_k=1, api_name="/text_classification")
    with pytest.raises(AppError, match="Type some text"):
        client.predict(model=tiny("text-classification"), text="   ", top_k=1, api_name="/text_classification")
    label, *_ = client.predict(model=tiny("text-classification"), text="hello", top_k=1, api_name="/text_classification")
    assert len(label["confidences"]) == 1


def test_the_api_page_names_every_parameter_and_keyword_calls_work(client, served):
    """Every tab's endpoint lists its values by their names (no param_1, param_2...), the names the tab runs with."""
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name, tab in served[0].tabs.items():
        listed = [p["parameter_name"] for p in endpoints[f"/{tab.task.api_name}"]["parameters"]]
        assert listed == list(tab.values), name
        assert not any(p.startswith("param_") for p in listed), name


def test_left_out_task_is_logged_not_fatal(monkeypatch, caplog):
    """A task whose package is missing is left out with a log line; every other tab is still there."""
    import dataclasses
    import logging

    import tasks
    import tasks.text_classification
    from runtime.spec import Task

    broken = Task(name="no-such-pipeline", title="Nope", modality="Text", models=("x",), inputs=dict,
                  outputs=dict, prepare=None, present=None)
    assert broken.missing() == "the installed transformers has no such pipeline"
    needy = dataclasses.replace(tasks.text_classification.TASK, requires=("no_such_pkg",))
    monkeypatch.setattr(tasks.text_classification, "TASK", needy)
    with caplog.at_level(logging.WARNING, logger="tasks"):
        found = tasks.discover()
    assert "text-classification" not in found and found.left_out == {"text-classification": "needs the 'no_such_pkg' package"}
    assert found.keys() == REGISTRY.keys() - {"text-classification"}
    assert "Leaving out the Text classification tab: needs the 'no_such_pkg' package." in caplog.text
    with pytest.raises(KeyError, match="left out here: needs the 'no_such_pkg' package"):
        found["text-classification"]


def test_only_the_tasks_a_host_names_are_served():
    import tasks

    assert list(tasks.discover("image_classification, text-classification")) == sorted(
        ["image-classification", "text-classification"], key=list(REGISTRY).index)


def test_cli_builds_tiny_models_and_serves_them(tmp_path):
    done = subprocess.run([sys.executable, "app.py", "--build-tiny-models", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "playground.json").exists() and "python app.py --config" in done.stdout


def test_readme_lists_every_endpoint_with_the_names_it_takes_and_answers(served):
    """README's API table is the served app's: every tab, its value names in order, its output names in order."""
    readme = (ROOT / "README.md").read_text()
    for tab in served[0].tabs.values():
        row = re.search(rf"^\| `/{tab.task.api_name}` \| (.*?) \| (.*?) \|$", readme, re.M)
        assert row, f"README's API table has no row for /{tab.task.api_name}"
        assert re.findall(r"`(\w+)`", row[1]) == list(tab.values)[1:], tab.task.name
        assert re.findall(r"`(\w+)`", row[2]) == tab.output_names, tab.task.name
