"""The bad-input matrix: every tab in the registry, every bad input its widgets admit, through the real API.

Cases are derived from the widget types each task builds (not from task names), so a tab that lands later is
covered without editing this file. Each bad input must come back as an AppError whose message is a plain
sentence, and the next good request on the same tab must succeed.
"""

import dataclasses
import re
import wave
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.spec import Limits
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
MAX_AUDIO_SECONDS = 30  # the matrix app's limit, so "too long" audio stays a small file


def widgets(task):
    """The task's input and parameter components by name, built inside a throwaway Blocks."""
    with gr.Blocks():
        return dict(task.inputs()), dict(task.params())


def optional(component) -> bool:
    return "optional" in f"{component.label} {getattr(component, 'placeholder', '')}".lower()


# (kind of widget, case name, expectation): "error" must be refused; "either" may succeed (e.g. after downscaling)
# but then must answer normally; "told" may succeed only if the answer says it truncated/chunked the input.
TEXT_CASES = [("empty", "error"), ("whitespace", "error"), ("far-over-window", "told")]
IMAGE_CASES = [("pdf", "error"), ("text-file", "error"), ("truncated", "error"), ("1x1", "either"), ("10000x10000", "either")]
AUDIO_CASES = [("text-file", "error"), ("truncated", "error"), ("zero-length", "error"), ("no-samples", "error"),
               ("silent", "error"), ("too-long", "error")]


def cases():
    for task in REGISTRY.values():
        inputs, params = widgets(task)
        for name, widget in inputs.items():
            if isinstance(widget, gr.Textbox):
                kinds = [(c, e if not (optional(widget) and e == "error") else "either") for c, e in TEXT_CASES]
            elif isinstance(widget, gr.Image):
                kinds = IMAGE_CASES
            elif isinstance(widget, gr.Audio):
                kinds = AUDIO_CASES
            else:
                kinds = []
            for case, expect in kinds:
                yield pytest.param(task.name, "input", name, case, expect, id=f"{task.name}-{name}-{case}")
        for name, widget in params.items():
            if isinstance(widget, (gr.Slider, gr.Number)) and (widget.maximum is not None or widget.minimum is not None):
                for case in ("above-max", "below-min"):
                    yield pytest.param(task.name, "param", name, case, "error", id=f"{task.name}-{name}-{case}")
            elif isinstance(widget, (gr.Dropdown, gr.Radio)) and not getattr(widget, "allow_custom_value", False):
                yield pytest.param(task.name, "param", name, "not-a-choice", "error", id=f"{task.name}-{name}-choice")
        for case in ("model-does-not-exist", "model-of-another-task"):
            yield pytest.param(task.name, "model", "model", case, "error", id=f"{task.name}-{case}")


def assert_plain(message: str) -> None:
    """One or two sentences a non-engineer can read: no traceback, no bare 'Error', no Python internals."""
    assert message and len(message.strip()) >= 15, f"too short to say anything: {message!r}"
    assert "Traceback" not in message and 'File "' not in message, message
    assert not re.fullmatch(r"\s*\w*Error:?\s*", message), message
    assert not re.search(r"\b[A-Z]\w*(Error|Exception|Warning)\b", message), f"a Python class name: {message!r}"
    assert not re.search(r"<class |object at 0x|tensor\(|\bNone\b|upstream Gradio app", message), message
    assert message.strip()[0].isupper() or message.strip()[0] in "'\"", message  # a sentence, or a quoted name


# ---- bad files, written once -------------------------------------------------------------------------------


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    from PIL import Image

    d = tmp_path_factory.mktemp("bad")
    (d / "doc.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    (d / "notes.txt").write_text("This is a shopping list, not a picture or a recording.\n")
    photo = (ROOT / "assets/chelsea.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(photo[: len(photo) // 3])
    Image.new("RGB", (1, 1), "red").save(d / "1x1.png")
    Image.new("RGB", (10000, 10000), "white").save(d / "10000x10000.png")  # solid colour: a small file, 300 MB decoded
    speech = (ROOT / "assets/speech_short.wav").read_bytes()
    (d / "truncated.wav").write_bytes(speech[:30])  # cut inside the header
    (d / "zero-length.wav").write_bytes(b"")
    write_wav(d / "no-samples.wav", np.zeros(0))
    write_wav(d / "silent.wav", np.zeros(16000))
    rng = np.random.default_rng(0)
    write_wav(d / "too-long.wav", 0.3 * rng.standard_normal(8000 * (MAX_AUDIO_SECONDS + 2)), rate=8000)
    files = {
        "image": {"pdf": "doc.pdf", "text-file": "notes.txt", "truncated": "truncated.jpg", "1x1": "1x1.png",
                  "10000x10000": "10000x10000.png"},
        "audio": {"text-file": "notes.txt", "truncated": "truncated.wav", "zero-length": "zero-length.wav",
                  "no-samples": "no-samples.wav", "silent": "silent.wav", "too-long": "too-long.wav"},
    }
    return {kind: {case: handle_file(str(d / name)) for case, name in named.items()} for kind, named in files.items()}


@pytest.fixture(scope="module")
def open_app(config):
    """The app as an operator who allows any model and local folders runs it, with a short audio limit:
    (its tabs by task name, a client)."""
    from gradio_client import Client

    from app import build_demo

    open_config = dataclasses.replace(
        config, allow_any_model=True, allow_local_paths=True,
        limits=dataclasses.replace(Limits(), max_audio_seconds=MAX_AUDIO_SECONDS),
    )
    demo = build_demo(open_config)
    try:
        _, url, _ = demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", ssr_mode=False, quiet=True)
        yield demo.tabs, Client(url, ssl_verify=False, verbose=False)
    finally:
        demo.close()


# ---- the good request each bad one is followed by ----------------------------------------------------------


def status_of(tab, answer) -> str:
    """The status line of a Run's answer, found by name (web/tab.py Tab.output_names)."""
    return dict(zip(tab.output_names, answer, strict=True))["status"]


def other_task_model(task, tiny) -> str:
    """A tiny model of another task, from another modality when there is one (multimodal ones last: an omni model is
    a vision-language model too)."""
    others = sorted((t for t in REGISTRY.values() if t.name != task.name),
                    key=lambda t: (t.modality == task.modality, t.modality == "Multimodal"))
    return tiny(others[0].name)


@pytest.mark.parametrize("task_name, where, name, case, expect", list(cases()))
def test_bad_input_gets_a_plain_error_and_the_next_request_works(
    open_app, example, tiny, bad, task_name, where, name, case, expect
):
    task = REGISTRY[task_name]
    tabs, open_client = open_app
    inputs, params = widgets(task)
    values = {"model": tiny(task.name), **example(task)}  # the first example, its files uploaded
    api = f"/{task.api_name}"
    if where == "input":
        widget = inputs[name]
        kind = "image" if isinstance(widget, gr.Image) else "audio" if isinstance(widget, gr.Audio) else "text"
        values[name] = {"empty": "", "whitespace": "  \n\t ", "far-over-window": "word " * 20000}[case] \
            if kind == "text" else bad[kind][case]
    elif where == "param":
        widget = params[name]
        if case == "above-max":
            values[name] = (widget.maximum or 0) + 1000
        elif case == "below-min":
            values[name] = (widget.minimum or 0) - 1000
        else:
            values[name] = "surely-not-one-of-the-choices"
    else:
        values["model"] = "nobody/model-that-does-not-exist" if case == "model-does-not-exist" \
            else other_task_model(task, tiny)

    try:
        answer = open_client.predict(**values, api_name=api)
    except AppError as error:
        assert_plain(str(error))
        if case == "model-of-another-task":
            assert "not a" in str(error) and task.title in str(error), str(error)
        if case == "model-does-not-exist":
            assert "nobody/model-that-does-not-exist" in str(error), str(error)
    else:
        assert expect != "error", f"{case} was accepted: {str(answer)[:300]}"
        if expect == "told":
            assert re.search(r"truncat|chunk|split|shortened|\bcut\b", str(answer), re.IGNORECASE), \
                f"{case} was cut without telling the user: {str(answer)[:300]}"
        assert "inference" in status_of(tabs[task.name], answer)  # a normal answer with its status line

    answer = open_client.predict(model=tiny(task.name), **example(task), api_name=api)
    assert "inference" in status_of(tabs[task.name], answer)


def test_unlisted_model_is_refused_by_the_curated_app(client, named, example, tiny):
    """With curated models only, any other id (or folder) is refused before anything is loaded."""
    for task in REGISTRY.values():
        values = example(task)
        with pytest.raises(AppError) as refused:
            client.predict(model="nobody/model-that-does-not-exist", **values, api_name=f"/{task.api_name}")
        assert_plain(str(refused.value))
        assert "only offers the listed models" in str(refused.value) and "/" not in str(refused.value).split(":", 1)[1]
        answer = client.predict(model=tiny(task.name), **values, api_name=f"/{task.api_name}")
        assert "inference" in named(task.name, answer)["status"]


def text_boxes():
    for task in REGISTRY.values():
        inputs, params = widgets(task)
        for name, widget in {**inputs, **params}.items():
            if isinstance(widget, gr.Textbox):
                yield pytest.param(task.name, name, id=f"{task.name}-{name}")


@pytest.mark.parametrize("task_name, name", list(text_boxes()))
def test_a_list_sent_as_text_is_refused_on_both_apis(client, example, tiny, task_name, name):
    """A JSON list is not one text: gradio would hand it on as the text "['I love this!', 'x']"."""
    task, sent = REGISTRY[task_name], ["I love this!", "x"]
    values = {**dict.fromkeys(widgets(task)[0]), **example(task), name: sent}  # inputs the example leaves out: None
    with pytest.raises(AppError) as refused:
        client.predict(model=tiny(task.name), **values, api_name=f"/{task.api_name}")
    lean = httpx.post(f"{client.src.rstrip('/')}/api/{task.api_name}", json={"model": tiny(task.name), name: sent},
                      timeout=60)
    assert lean.status_code == 400, lean.text
    for message in (str(refused.value), lean.json()["error"]):
        assert "must be a single text, not a list" in message, message
        assert_plain(message)


def test_the_matrix_covers_every_registered_task():
    covered = {p.values[0] for p in cases()}
    assert covered == set(REGISTRY), set(REGISTRY) - covered
