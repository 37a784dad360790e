"""The code panel (web/panels/code.py on runtime/snippets.py): the snippet is executed as written, offline, and must
print what the app answered."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.models import ModelCache
from runtime.runner import Result
from runtime.snippets import SnippetContext, files_of, generic, snippet
from runtime.spec import Call
from tasks import REGISTRY
from web.panels.code import code_of

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


def code_for(task, config, model_id: str, values: dict) -> str:
    """The code panel's text (web/panels/code.py) for a run of `values` (by name) on `model_id`, made as the panel
    makes it from the run's call, without running the model."""
    from types import SimpleNamespace

    choice = config.resolve(task, model_id)
    call = task.prepare(**values, limits=config.limits)  # a UserError here: the task refused the values
    placement = ModelCache().devices.placement(choice.device_map)
    return code_of(SimpleNamespace(task=task), Result({}, None, "", call, choice, placement, values))


def as_scores(printed: str) -> dict:
    rows = ast.literal_eval(printed)
    rows = rows[0] if rows and isinstance(rows[0], list) else rows
    return {row["label"]: row["score"] for row in rows}


def test_text_snippet_runs_and_gives_the_apps_answer(predict, tiny, tmp_path):
    model = tiny("text-classification")
    out = predict("text-classification", model=model, text="I love this movie", top_k=2)
    raw, code = out["raw"], out["code"]  # the code panel of that very run
    assert f"pipeline('text-classification', model={model!r}, device='cpu', dtype=torch.float32)" in code
    assert "top_k=2, truncation=True" in code
    printed = execute(code, tmp_path)
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_image_snippet_runs_and_gives_the_apps_answer(predict, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("image-classification")
    out = predict("image-classification", model=model, image=handle_file(asset("chelsea.jpg")), top_k=3)
    raw, code = out["raw"], out["code"]
    assert "Image.open('chelsea.jpg')" in code and "top_k=3" in code
    printed = execute(code, tmp_path, asset("chelsea.jpg"))
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_custom_run_snippet_goes_through_the_task_module(predict, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("automatic-speech-recognition")
    out = predict("automatic-speech-recognition", model=model, audio=handle_file(asset("speech_short.wav")))
    text, code = out["transcript"], out["code"]
    assert "from tasks.automatic_speech_recognition import TASK" in code and "soundfile.read('speech_short.wav'" in code
    printed = execute(code + "\nprint(repr(result['text'].strip()))", tmp_path, asset("speech_short.wav"))
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


def first_example_values(task) -> dict:
    """The tab's first example as its widgets hand it to the task (files as paths), then the default parameters (and
    a chat's empty history), by name."""
    import gradio as gr

    from web.tab import HISTORY

    with gr.Blocks():
        inputs, params = dict(task.inputs()), dict(task.params())
    example = task.examples[0] if task.examples else {}  # inputs it leaves out keep their widget's default
    values = {}
    for name, widget in inputs.items():
        value = example.get(name, widget.value)
        if isinstance(widget, gr.Dataframe):
            from gradio.components.dataframe import DataframeData

            value = widget.preprocess(DataframeData(**value))
        elif isinstance(widget, gr.MultimodalTextbox):
            value = {**value, "files": [str(ROOT / f) for f in value.get("files", [])]}
        elif isinstance(widget, (gr.Image, gr.Audio, gr.File, gr.Video)) and value:
            value = [str(ROOT / v) for v in value] if isinstance(value, (list, tuple)) else str(ROOT / value)
        values[name] = value
    return values | {name: p.value for name, p in params.items()} | ({HISTORY: []} if task.conversation else {})


@pytest.mark.parametrize("task_name", sorted(REGISTRY))
def test_every_tasks_snippet_from_its_first_example_is_python(config, tiny, task_name):
    """Each tab's 'Reproduce in code' for its first example is whole Python: no input left as a placeholder."""
    task = REGISTRY[task_name]
    code = code_for(task, config, tiny(task_name), first_example_values(task))
    assert isinstance(code, str), f"no snippet: {code}"
    compile(code, f"<{task_name} snippet>", "exec")
    assert "cannot be written as code" not in code, code
    assert tiny(task_name) in code and "print(result)" in code


@pytest.mark.parametrize("task_name", sorted(t.name for t in REGISTRY.values() if t.plain_call))
def test_plain_snippets_run_outside_this_repo_and_give_the_pipelines_answer(config, tiny, tmp_path, task_name):
    """Where the task's run only adds what the page shows, the snippet is plain transformers: no import from this
    repo, and it runs from a folder where this repo is not importable."""
    from runtime.snippets import files_of

    task = REGISTRY[task_name]
    values = first_example_values(task)
    code = code_for(task, config, tiny(task_name), values)
    assert "runtime" not in code and "tasks." not in code and "TASK" not in code, code
    for f in files_of(values.values()):
        shutil.copy(f, tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.strip(), f"{code}\n---\n{done.stderr[-2000:]}"


@pytest.mark.parametrize("task_name", sorted(t.name for t in REGISTRY.values() if t.load or t.run))
def test_snippets_of_tasks_with_their_own_load_or_run_execute(config, tiny, tmp_path, task_name):
    """Those snippets go through the task module (TASK.load / TASK.call): run them, offline, on the tiny model."""
    from runtime.snippets import files_of

    task = REGISTRY[task_name]
    values = first_example_values(task)
    code = code_for(task, config, tiny(task_name), values)
    assert execute(code, tmp_path, *files_of(values.values()))  # it printed a result
