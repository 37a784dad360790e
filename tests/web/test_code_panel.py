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
from web.panels.code import code_in, code_of

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
    raw, code = out["raw"], code_in(out["code"])  # the code panel of that very run
    assert f"pipeline('text-classification', model={model!r}, device='cpu', dtype=torch.float32)" in code
    assert "top_k=2, truncation=True" in code
    printed = execute(code, tmp_path)
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_image_snippet_runs_and_gives_the_apps_answer(predict, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("image-classification")
    out = predict("image-classification", model=model, image=handle_file(asset("chelsea.jpg")), top_k=3)
    raw, code = out["raw"], code_in(out["code"])
    assert "Image.open('chelsea.jpg')" in code and "top_k=3" in code
    printed = execute(code, tmp_path, asset("chelsea.jpg"))
    assert as_scores(printed) == pytest.approx({r["label"]: r["score"] for r in raw}, abs=1e-5)


def test_custom_run_snippet_is_plain_transformers_and_gives_the_apps_answer(predict, tiny, asset, tmp_path):
    from gradio_client import handle_file

    model = tiny("automatic-speech-recognition")
    out = predict("automatic-speech-recognition", model=model, audio=handle_file(asset("speech_short.wav")))
    text, code = out["transcript"], code_in(out["code"])
    assert "pipeline('automatic-speech-recognition'" in code and "soundfile.read('speech_short.wav'" in code
    assert "TASK" not in code and "runtime" not in code
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


def top_label(raw) -> str:
    rows = raw[0] if raw and isinstance(raw[0], list) else raw
    return repr(rows[0]["label"])


def text_of(key):
    def found(raw) -> str:
        row = raw[0] if isinstance(raw, list) else raw
        return row[key].strip()

    return found


GREEDY = {"do_sample": False}  # a sampled answer is random: the answer is compared on the likeliest tokens

# The tasks whose snippet is plain transformers though the app loads or calls the model its own way: how to find the
# app's answer (Runner.run's raw result) in what the snippet prints, and the values (over the first example's) that
# make that answer deterministic.
APPS_ANSWER = {
    "audio-classification": (top_label, {}),
    "automatic-speech-recognition": (text_of("text"), {}),
    "text-generation": (text_of("reply"), GREEDY),
    "image-text-to-text": (text_of("generated_text"), {}),  # greedy at its default temperature, 0
    "image-to-text": (lambda raw: repr(str(raw["output"][0]["generated_text"])), {}),
    "summarization": (text_of("summary_text"), {}),
    "translation": (text_of("translation_text"), {}),
    "visual-question-answering": (lambda raw: repr(raw[0]["answer"]), {}),
    "text-to-image": (lambda raw: f"'seed': {raw['seed']}", {}),
    "text-to-audio": (lambda raw: f"'sampling_rate': {raw['sampling_rate']}", {}),
    "zero-shot-audio-classification": (top_label, {}),
    "image-feature-extraction": (lambda raw: "[[1.0", {}),  # and CHECKS: the similarity matrix
    "video-classification": (top_label, {}),
    "document-question-answering": (lambda raw: repr(raw["answers"][0]["answer"]), {}),
    "any-to-any": (text_of("generated_text"), {}),  # greedy at its default temperature, 0
    "decision": (lambda raw: f"'choice': {raw['department']['choice']!r}", {}),  # already plain (no load or run)
    "question-answering": (lambda raw: f"'start': {raw['start']}, 'end': {raw['end']}, 'answer': {raw['answer']!r}", {}),
}


def same_similarity(result, folder: Path, printed: str) -> bool:
    import numpy as np

    table = result.outputs["similarity"].drop(columns="image").to_numpy()
    return np.allclose(ast.literal_eval(printed.strip().splitlines()[-1]), table, atol=2e-4)


def same_picture(result, folder: Path, printed: str) -> bool:
    import numpy as np
    from PIL import Image

    with Image.open(folder / "image.png") as saved:
        return np.array_equal(np.asarray(saved.convert("RGB")), np.asarray(result.outputs["image"].convert("RGB")))


def same_sound(result, folder: Path, printed: str) -> bool:
    """audio.wav (16-bit) holds the app's sound: its length, lowest and highest sample (the raw JSON's summary)."""
    import numpy as np
    import soundfile

    samples, rate = soundfile.read(folder / "audio.wav", dtype="float32")
    summary = result.raw["audio"]
    return (rate == result.raw["sampling_rate"] and samples.size == int(np.prod(summary["array"]))
            and abs(samples.min() - summary["min"]) < 1e-4 and abs(samples.max() - summary["max"]) < 1e-4)


# Answers a string cannot find: whether what the snippet printed, or the file it wrote, holds the app's answer.
CHECKS = {"text-to-image": same_picture, "text-to-audio": same_sound, "image-feature-extraction": same_similarity}


def standalone(code: str) -> bool:
    return not any(word in code for word in ("runtime", "tasks.", "TASK"))


@pytest.mark.parametrize("task_name", sorted(REGISTRY))
def test_every_tasks_snippet_runs_and_prints_the_apps_answer(config, tiny, models, tmp_path, task_name):
    """Each tab's snippet for its first example runs. Plain transformers code (what every `plain_call` task and every
    task of APPS_ANSWER writes) runs from a folder where this repo is not importable (`python -I`, no PYTHONPATH),
    offline; a snippet that still goes through the task module (TASK.load / TASK.call) runs from that folder with the
    repo on the path. Where APPS_ANSWER says how, the printed output holds the answer the app gives for that input."""
    from runtime.runner import Runner

    task = REGISTRY[task_name]
    values = first_example_values(task)
    code = code_for(task, config, tiny(task_name), values)
    files = files_of(values.values())
    if task.plain_call or task_name in APPS_ANSWER:
        assert standalone(code), code
    printed = run_snippet(code, tmp_path, files)
    if task_name in APPS_ANSWER:
        found, deterministic = APPS_ANSWER[task_name]
        if deterministic:
            values = values | deterministic
            code = code_for(task, config, tiny(task_name), values)
            printed = run_snippet(code, tmp_path, ())
        result = Runner(task, config, models).run(tiny(task_name), values)
        if task_name in CHECKS:
            assert CHECKS[task_name](result, tmp_path, printed), f"{printed}\n---\n{code}"
        answer = found(result.raw)
        assert answer and (answer in printed or repr(answer)[1:-1] in printed), f"{answer!r} not in\n{printed}\n---\n{code}"


def run_snippet(code: str, workdir: Path, files) -> str:
    """What the snippet printed, run offline from `workdir` with the files it reads: plain code with this repo out of
    reach (`python -I`, no PYTHONPATH), code that imports the task module with the repo on the path."""
    for f in files:
        shutil.copy(f, workdir)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-I", "-c", code] if standalone(code) else [sys.executable, "-c", code]
    if not standalone(code):
        env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.strip(), f"{code}\n---\n{done.stderr[-2000:]}"
    return done.stdout


def test_a_snippet_through_the_task_module_still_runs(config, tiny, tmp_path):
    """Where a task's own snippet cannot write the app's steps (speech cut at pauses) it falls back to the generic
    one, which calls TASK.call from this repo: that runs too."""
    from dataclasses import replace

    task = REGISTRY["automatic-speech-recognition"]
    values = first_example_values(replace(task, examples=task.examples[1:]))  # speech_long.ogg: longer than a piece
    code = code_for(task, config, tiny(task.name), values)
    assert "TASK.call(" in code and not standalone(code), code
    assert run_snippet(code, tmp_path, files_of(values.values())).strip()
