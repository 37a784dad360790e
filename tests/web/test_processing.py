"""gradio's per-request work made lighter (web/gradio_patches/processing.py), answers unchanged."""

import json
import threading
import urllib.request

import gradio as gr
import numpy as np
import pytest

import app
from web import gradio_patches
from web import server as serving
from web.gradio_patches import processing
from web.gradio_patches.queue import polite_queue


class Recorded(gr.Textbox):
    """A widget of its own: its preprocess may do anything, so it keeps gradio's worker thread."""

    threads: list = []

    def preprocess(self, payload):
        Recorded.threads.append(threading.current_thread())
        return super().preprocess(payload)


@pytest.fixture(scope="module")
def small_app():
    gradio_patches.apply()
    with gr.Blocks() as demo:
        text, times, pick = gr.Textbox(), gr.Number(), gr.Dropdown(["a", "b"], value="a")
        label, raw, note = gr.Label(), gr.JSON(), gr.Markdown()
        own, picture, size = Recorded(), gr.Image(type="numpy"), gr.Textbox()

        def classify(text, times, pick):
            return {pick: 0.75, "other": 0.25}, {"text": text * int(times)}, f"**{pick}**"

        gr.Button().click(classify, [text, times, pick], [label, raw, note], api_name="classify")
        gr.Button().click(lambda own, image: f"{own}: {image.shape[1]}x{image.shape[0]}", [own, picture], size,
                          api_name="measure")
    _, url, _ = serving.serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", quiet=True,
                              ssr_mode=False)
    demo.warming.join(120)  # transformers' first import, done: later tests import it on their own
    yield url
    demo.close()


def call(url: str, api_name: str, data: list):
    request = urllib.request.Request(f"{url}gradio_api/call/{api_name}", data=json.dumps({"data": data}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        event = json.load(answer)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api_name}/{event}", timeout=30) as answer:
        lines = answer.read().decode().splitlines()
    kind = next(line for line in reversed(lines) if line.startswith("event:")).split(":", 1)[1].strip()
    return kind, json.loads(lines[lines.index(f"event: {kind}") + 1].removeprefix("data: "))


def test_text_and_number_widgets_are_processed_without_a_thread_hop_and_answer_as_before(small_app):
    assert processing.inline_shape_ok() and gradio_patches.on("inline_widgets")
    before = processing.TO_THREAD.inline
    kind, (label, raw, note) = call(small_app, "classify", ["ab", 2, "b"])
    assert kind == "complete"
    assert label["label"] == "b" and {c["label"]: c["confidence"] for c in label["confidences"]} == {"b": 0.75,
                                                                                                    "other": 0.25}
    assert raw == {"text": "abab"} and note == "**b**"
    assert processing.TO_THREAD.inline - before == 6  # three inputs, three outputs: none crossed to a worker thread


def test_a_refusal_of_an_inline_widget_is_still_gradios_error_and_the_next_request_works(small_app):
    assert call(small_app, "classify", ["ab", 2, "not a choice"])[0] == "error"
    assert call(small_app, "classify", ["x", 1, "a"])[0] == "complete"


def test_files_and_widgets_of_ones_own_keep_gradios_worker_thread(small_app, tmp_path):
    from PIL import Image

    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((4, 7, 3), dtype=np.uint8)).save(path)
    upload = urllib.request.Request(f"{small_app}gradio_api/upload", method="POST")
    boundary = "----playground"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"wide.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    upload.data, upload.headers["Content-Type"] = body, f"multipart/form-data; boundary={boundary}"
    with urllib.request.urlopen(upload, timeout=30) as answer:
        uploaded = json.load(answer)[0]
    before, Recorded.threads[:] = processing.TO_THREAD.inline, []
    kind, (size,) = call(small_app, "measure", ["own", {"path": uploaded, "meta": {"_type": "gradio.FileData"}}])
    assert kind == "complete" and size == "own: 7x4"
    assert Recorded.threads and all(t.name != "MainThread" and "AnyIO" in t.name for t in Recorded.threads)
    assert processing.TO_THREAD.inline - before == 1  # the answer's Textbox only: the Image and Recorded hopped


def test_a_widget_that_overrides_its_processing_is_not_assumed_cheap():
    assert processing._cheap(gr.Textbox().preprocess)
    assert processing._cheap(gr.Label().postprocess)
    assert not processing._cheap(Recorded().preprocess)
    assert not processing._cheap(gr.Image().preprocess)
    assert not processing._cheap(lambda payload: payload)


def test_the_apps_queue_refreshes_its_monitoring_summary_every_hundred_events_not_every_event(monkeypatch, config):
    monkeypatch.delenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", raising=False)
    demo = app.build_demo(config)
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == app.MONITORING_EVERY == 100  # gradio's default: 1
    monkeypatch.setenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", "7")  # a host's own setting wins
    assert app.build_demo(config)._queue.ANAYLTICS_CACHE_FREQUENCY == 7
