"""The reproduce-in-code snippet is executed as written, offline, and must print what the app answered."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import make_code
from runtime.models import ModelCache
from runtime.snippets import SnippetContext, files_of, generic, snippet
from runtime.spec import Call
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def execute(code: str, workdir: Path, *files: str) -> str:
    """Runs a snippet in a fresh offline interpreter, from a folder holding the files it names."""
    for f in files:
        shutil.copy(f, workdir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}  # some snippets import the task module
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, f"{code}\n---\n{done.stderr[-2000:]}"
    return done.stdout.strip().splitlines()[-1]


def as_scores(printed: str) -> dict:
    rows = ast.literal_eval(printed)
    rows = rows[0] if rows and isinstance(rows[0], list) else rows
    return {row["label"]: row["score"] for row in rows}


def test_text_snippet_runs_and_gives_the_apps_answer(client, config, tiny, tmp_path):
    model = tiny("text-classification")
    _, raw, _ = client.predict(model, "I love this movie", 2, api_name="/text_classification")
    code = make_code(REGISTRY["text-classification"], config, ModelCache())(model, "I love this movie", 2)
    assert f"pipeline('text-classification', model={model!r}, device='cpu', dtype=torch.float32)" in code
    assert "top_k=2, truncation=True" in code
    printed = execute(code, tmp_path)
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_image_snippet_runs_and_gives_the_apps_answer(client, config, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("image-classification")
    _, raw, _ = client.predict(model, handle_file(asset("chelsea.jpg")), 3, api_name="/image_classification")
    code = make_code(REGISTRY["image-classification"], config, ModelCache())(model, asset("chelsea.jpg"), 3)
    assert "Image.open('chelsea.jpg')" in code and "top_k=3" in code
    printed = execute(code, tmp_path, asset("chelsea.jpg"))
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_custom_run_snippet_goes_through_the_task_module(client, config, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("automatic-speech-recognition")
    text = client.predict(model, handle_file(asset("speech_short.wav")), api_name="/automatic_speech_recognition")[0]
    code = make_code(REGISTRY["automatic-speech-recognition"], config, ModelCache())(model, asset("speech_short.wav"))
    assert "from tasks.automatic_speech_recognition import TASK" in code and "soundfile.read('speech_short.wav'" in code
    printed = execute(code + "print(repr(result['text'].strip()))", tmp_path, asset("speech_short.wav"))
    assert ast.literal_eval(printed) == text


def test_a_downscaled_image_is_downscaled_in_the_snippet_too(asset):
    from runtime.media import load_image

    task = REGISTRY["image-classification"]
    call = Call(load_image(asset("astronaut.jpg"), 64), {"top_k": 1})
    code = generic(SnippetContext(task, "m", {"device": "cpu"}, call, files_of([asset("astronaut.jpg")])))
    assert "image.thumbnail((64, 64), Image.Resampling.LANCZOS)" in code


def test_a_task_can_write_its_own_snippet():
    from dataclasses import replace

    task = replace(REGISTRY["text-classification"], snippet=lambda ctx: f"# custom for {ctx.model}\n")
    assert snippet(SnippetContext(task, "m", {}, Call("x"))) == "# custom for m\n"


def test_own_pipeline_tasks_import_their_module_first():
    from dataclasses import replace

    task = replace(REGISTRY["text-classification"], own_pipeline=True)
    code = generic(SnippetContext(task, "m", {"device": "cpu"}, Call("x")))
    assert "import tasks.text_classification  # registers the pipeline" in code
    assert code.index("import tasks.text_classification") < code.index("pipe = pipeline(")


def test_files_of_finds_only_existing_files(asset):
    assert files_of(["hello", asset("chelsea.jpg"), None, 3, [asset("coffee.jpg")]]) == (
        asset("chelsea.jpg"), asset("coffee.jpg"))


def first_example_values(task) -> list:
    """The tab's first example as its widgets hand it to the task (files as paths), then the default parameters."""
    import gradio as gr

    with gr.Blocks():
        inputs, params = list(task.inputs()), list(task.params())
    row = list(task.examples[0]) if task.examples else [w.value for w in inputs]
    values = []
    for widget, value in zip(inputs, row):
        if isinstance(widget, gr.Dataframe):
            from gradio.components.dataframe import DataframeData

            value = widget.preprocess(DataframeData(**value))
        elif isinstance(widget, gr.MultimodalTextbox):
            value = {**value, "files": [str(ROOT / f) for f in value.get("files", [])]}
        elif isinstance(widget, (gr.Image, gr.Audio, gr.File, gr.Video)) and value:
            value = [str(ROOT / v) for v in value] if isinstance(value, (list, tuple)) else str(ROOT / value)
        values.append(value)
    return values + [p.value for p in params]


@pytest.mark.parametrize("task_name", sorted(REGISTRY))
def test_every_tasks_snippet_from_its_first_example_is_python(config, tiny, task_name):
    """Each tab's 'Reproduce in code' for its first example is whole Python: no input left as a placeholder."""
    task = REGISTRY[task_name]
    code = make_code(task, config, ModelCache())(tiny(task_name), *first_example_values(task))
    assert isinstance(code, str), f"no snippet: {code}"  # an update object means prepare refused the example
    compile(code, f"<{task_name} snippet>", "exec")
    assert "cannot be written as code" not in code, code
    assert tiny(task_name) in code and "print(result)" in code


@pytest.mark.parametrize("task_name", sorted(t.name for t in REGISTRY.values() if t.load or t.run))
def test_snippets_of_tasks_with_their_own_load_or_run_execute(config, tiny, tmp_path, task_name):
    """Those snippets go through the task module (TASK.load / TASK.call): run them, offline, on the tiny model."""
    from runtime.snippets import files_of

    task = REGISTRY[task_name]
    values = first_example_values(task)
    code = make_code(task, config, ModelCache())(tiny(task_name), *values)
    assert execute(code, tmp_path, *files_of(values))  # it printed a result
