"""What gradio refuses before the app's code runs is said in a sentence (web/gradio_patches/refusals.py): a file the
caller did not upload, a URL given as a file, values missing. Every tab's Run endpoint, through the served app."""

import json

import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import is_file_obj_with_meta

from tasks import REGISTRY
from web import gradio_patches
from web.gradio_patches.refusals import NO_URLS, NOT_UPLOADED, plain_refusals

FILE = {"_type": "gradio.FileData"}
URL = "https://example.com/cat.jpg"  # refused unasked: nothing is fetched (a recorder stands in for the download)
TASKS = [task.name for task in REGISTRY.values()]


@pytest.fixture
def no_downloads(monkeypatch):
    """Every download gradio would start for a request, recorded instead of made."""
    from gradio import processing_utils

    asked = []

    async def download(url, cache_dir):
        asked.append(url)
        raise OSError("downloads are recorded here, not made")

    monkeypatch.setattr(processing_utils, "async_ssrf_protected_download", download)
    return asked


def run_fn(served, task_name):
    return next(fn for fn in served[0].fns.values() if fn.api_name == REGISTRY[task_name].api_name)


def call(served, task_name, data) -> tuple[str, dict]:
    """POST /gradio_api/call/<endpoint> with `data` as given (positional, as the raw HTTP API takes it), then read
    its event stream: (last event, its data)."""
    url = f"{served[1].rstrip('/')}/gradio_api/call/{REGISTRY[task_name].api_name}"
    posted = httpx.post(url, json={"data": data}, timeout=60)
    posted.raise_for_status()
    event = payload = None
    with httpx.stream("GET", f"{url}/{posted.json()['event_id']}", timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                return event, json.loads(line.split(":", 1)[1])
    return event, payload


def with_first_input(served, task_name, model, value) -> list:
    """The Run event's values: the model, `value` as the tab's first input, the other values their defaults."""
    blocks = run_fn(served, task_name).inputs
    return [model, value] + [None if callable(block.value) else block.value for block in blocks[2:]]


@pytest.mark.parametrize("task_name", TASKS)
def test_a_file_not_uploaded_or_a_url_is_refused_in_a_sentence(served, tiny, no_downloads, task_name):
    """A server path (never uploaded) and a URL, each as the tab's first input: refused, said why, nothing read or
    fetched."""
    for path, sentence in (("/etc/passwd", NOT_UPLOADED), (URL, NO_URLS), ("http://127.0.0.1:1/x.png", NO_URLS)):
        event, payload = call(served, task_name, with_first_input(served, task_name, tiny(task_name),
                                                                  {"path": path, "meta": FILE}))
        assert (event, payload["error"]) == ("error", sentence), (path, payload)
    assert no_downloads == []


@pytest.mark.parametrize("task_name", TASKS)
def test_missing_values_are_named(served, tiny, task_name):
    names = run_fn(served, task_name).input_parameter_names
    event, payload = call(served, task_name, [tiny(task_name)])
    assert (event, payload["error"]) == ("error", f"The request is missing values for: {', '.join(names[1:])}."), payload


def test_a_url_through_gradio_client_is_refused_in_a_sentence(client, tiny, example, no_downloads):
    """gradio_client's handle_file("https://...") sends the URL on; every tab that takes a file refuses it."""
    def swapped(value):
        if is_file_obj_with_meta(value):
            return handle_file(URL)
        if isinstance(value, list):
            return [swapped(v) for v in value]
        return {k: swapped(v) for k, v in value.items()} if isinstance(value, dict) else value

    takes_files = [task for task in REGISTRY.values() if swapped(example(task)) != example(task)]
    if not takes_files:
        pytest.skip("no tab served here takes a file")
    for task in takes_files:
        with pytest.raises(AppError) as refused:
            client.predict(model=tiny(task.name), **swapped(example(task)), api_name=f"/{task.api_name}")
        assert str(refused.value) == NO_URLS, (task.name, str(refused.value))
    assert no_downloads == []


def test_off_it_leaves_gradio_alone(monkeypatch):
    """Turned off (or gradio's shape changed), the demo keeps gradio's own preprocess_data."""
    import gradio as gr

    monkeypatch.setattr(gradio_patches, "_why_off", {})
    monkeypatch.setenv("PLAYGROUND_GRADIO_PATCHES", "plain_refusals")
    with gr.Blocks() as demo:
        gr.Textbox()
    assert plain_refusals(demo).preprocess_data == gr.Blocks.preprocess_data.__get__(demo)
    assert not getattr(demo, "plain_refusals", False)
