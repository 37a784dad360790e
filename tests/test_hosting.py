"""Public hosting policies, checked through the real HTTP API of `python app.py` as an operator would launch it."""

import base64
import dataclasses
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client.exceptions import AppError

from runtime.config import Config, ModelChoice
from tasks import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hf_MARKERsecretTOKEN1234567890"  # HF_TOKEN of the launched app: must never reach a visitor
FILE = {"_type": "gradio.FileData"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tiny_config, tmp_path_factory):
    """`python app.py` with a 1 MB upload limit, a queue of 2, any Hub id allowed, and a secret in its env."""
    port = free_port()
    log = tmp_path_factory.mktemp("hosting") / "server.log"
    env = {**os.environ, "HF_TOKEN": SECRET, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(
        [sys.executable, "app.py", "--config", str(tiny_config), "--port", str(port), "--max-file-size", "1mb",
         "--queue-size", "2", "--allow-any-model"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,  # a pipe nobody reads fills and blocks
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert server.poll() is None, log.read_text()[-3000:]
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def call(url: str, api: str, timeout: float = 60, **values) -> tuple[str, str]:
    """POST /gradio_api/call/<api> with `values` by name, then read its event stream: (event, data) of the last
    message.

    The raw HTTP API wants every value, in the order of the endpoint's parameters: the values given go by their
    names, those left out take their defaults (as gradio_client does), so a parameter added to a task later does not
    turn these calls into argument-count errors.
    """
    parameters = defaults(url, api)
    unknown = set(values) - set(parameters)
    assert not unknown, f"/{api} takes no {sorted(unknown)}; it takes {list(parameters)}"
    data = [values.get(name, default) for name, default in parameters.items()]
    posted = httpx.post(f"{url}/gradio_api/call/{api}", json={"data": data}, timeout=timeout)
    if posted.status_code != 200:
        return f"http {posted.status_code}", posted.text
    event = payload = None
    with httpx.stream("GET", f"{url}/gradio_api/call/{api}/{posted.json()['event_id']}", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
                if event in ("complete", "error"):
                    break
    return event, payload


@functools.cache
def defaults(url: str, api: str) -> dict:
    """The endpoint's parameters by name, in order, with their defaults (None where one has none), from the
    server's API info."""
    info = httpx.get(f"{url}/gradio_api/info", timeout=30).json()["named_endpoints"][f"/{api}"]
    return {p["parameter_name"]: p.get("parameter_default") if p.get("parameter_has_default") else None
            for p in info["parameters"]}


def upload(url: str, path: Path) -> dict:
    done = httpx.post(f"{url}/gradio_api/upload", files={"files": (path.name, path.read_bytes())}, timeout=30)
    done.raise_for_status()
    return {"path": done.json()[0], "orig_name": path.name, "meta": FILE}


# ---- which models may be loaded ------------------------------------------------------------------------------


def test_curated_only_unless_the_operator_allows_any(client, tiny):
    with pytest.raises(AppError, match="only offers the listed models for Text classification"):
        client.predict(model="someone/any-model", text="hello", top_k=1, api_name="/text_classification")
    closed = Config()
    with pytest.raises(Exception, match="only offers the listed models"):
        closed.resolve(REGISTRY["text-classification"], "someone/any-model")


def test_a_visitor_typed_folder_is_never_loaded_unless_allowed(app_url, tiny, tmp_path):
    """--allow-any-model without --allow-local-paths: Hub ids yes, folders on the server no (even real models)."""
    import shutil

    copy = shutil.copytree(tiny("text-classification"), tmp_path / "a-real-model")  # a model, but not a listed one
    for folder in (str(copy), "/etc", "../../", "~/.cache/huggingface"):
        event, payload = call(app_url, "text_classification", model=folder, text="hello", top_k=1)
        assert event == "error" and "does not load models from folders" in payload, (folder, payload)
    event, payload = call(app_url, "text_classification", model="someone/not-downloaded", text="hello", top_k=1)
    assert event == "error" and "not downloaded on this server" in payload


def test_trust_remote_code_comes_only_from_the_operators_config(client, config):
    """No endpoint takes it; a visitor's model is never trusted; a config entry may trust one model by name."""
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for task in REGISTRY.values():
        with gr.Blocks():
            names = ["model", *task.inputs(), *task.params(), *(["history"] if task.conversation else [])]
        parameters = [p.get("parameter_name") or "" for p in endpoints[f"/{task.api_name}"]["parameters"]]
        assert parameters == names, task.name  # the model, the tab's values (a chat's history): nothing else
        assert not any("remote" in name for name in parameters)
    open_config = dataclasses.replace(config, allow_any_model=True)
    task = REGISTRY["text-classification"]
    assert open_config.resolve(task, "someone/custom-code-model").trust_remote_code is False
    trusted = Config(models={task.name: (ModelChoice("org/ours", trust_remote_code=True),)}, allow_any_model=True)
    assert trusted.resolve(task, "org/ours").trust_remote_code is True
    assert trusted.resolve(task, "org/theirs").trust_remote_code is False


# ---- limits ----------------------------------------------------------------------------------------------------


def test_upload_over_the_size_limit_is_refused(app_url, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + os.urandom(2_000_000))
    refused = httpx.post(f"{app_url}/gradio_api/upload", files={"files": ("big.png", big.read_bytes())}, timeout=30)
    assert refused.status_code == 413
    assert "size" in refused.text.lower()
    small = tmp_path / "small.txt"
    small.write_text("fine")
    assert httpx.post(f"{app_url}/gradio_api/upload", files={"files": ("s.txt", b"fine")}, timeout=30).status_code == 200


def test_a_full_queue_says_busy_try_again_and_then_serves(app_url, tiny, asset):
    """Queue of 2: a burst of 40 concurrent requests is partly turned away with a plain 'busy, try again'."""
    audio = upload(app_url, Path(asset("speech_short.wav")))

    def one(_):
        return call(app_url, "automatic_speech_recognition", model=tiny("automatic-speech-recognition"), audio=audio)

    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(one, range(40)))
    busy = [payload for event, payload in answers if event == "http 503"]
    assert busy, [event for event, _ in answers]
    assert all("busy" in p and "try again" in p and "Queue is full" not in p for p in busy), busy[0]
    assert all(event in ("complete", "http 503") for event, _ in answers), answers
    event, _ = call(app_url, "text_classification", model=tiny("text-classification"), text="after the rush", top_k=1)
    assert event == "complete"


def lean(url: str, api: str, timeout: float = 60, **values) -> tuple[int, dict]:
    """POST /api/<api> (the lean JSON route) with `values` by name: (HTTP status, reply)."""
    reply = httpx.post(f"{url}/api/{api}", json=values, timeout=timeout)
    return reply.status_code, reply.json()


def test_the_lean_api_has_the_same_limits_busy_and_file_size(app_url, tiny, asset, tmp_path):
    """Queue of 2 and 1 MB uploads: the lean route turns a burst away with the same sentence, refuses a file over
    the limit, and serves again afterwards."""
    audio = "data:audio/wav;base64," + base64.b64encode(Path(asset("speech_short.wav")).read_bytes()).decode()
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: lean(app_url, "automatic_speech_recognition",
                                               model=tiny("automatic-speech-recognition"), audio=audio), range(40)))
    statuses = [status for status, _ in answers]
    assert 503 in statuses and 200 in statuses and set(statuses) == {200, 503}, statuses
    assert all("busy" in reply["error"] and "try again" in reply["error"] for status, reply in answers if status == 503)
    big = "data:image/png;base64," + base64.b64encode(b"\x89PNG" + bytes(1_200_000)).decode()
    status, reply = lean(app_url, "image_classification", model=tiny("image-classification"), image=big)
    assert status == 413 and "larger than this server accepts (1 MB at most)" in reply["error"], reply  # as README
    huge = httpx.post(f"{app_url}/api/image_classification",
                      json={"model": None, "image": "data:," + "A" * 16_000_000}, timeout=60)
    assert huge.status_code == 413 and "The request is larger than this server accepts" in huge.json()["error"]
    assert lean(app_url, "text_classification", model=tiny("text-classification"), text="after the rush")[0] == 200


# ---- no server-side fetches of visitor URLs ------------------------------------------------------------------


@pytest.fixture
def recorder():
    """A tiny HTTP server on loopback that records every request it gets (and serves a PNG)."""
    hits = []
    png = (ROOT / "assets" / "chelsea.jpg").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()


@pytest.mark.parametrize("task_name", [t.name for t in REGISTRY.values() if t.modality in ("Vision", "Audio")])
def test_no_endpoint_fetches_a_loopback_or_link_local_url(app_url, tiny, recorder, task_name):
    base, hits = recorder
    task = REGISTRY[task_name]
    with gr.Blocks():
        inputs = dict(task.inputs())  # the parameters keep their defaults
    takes_file = {name: isinstance(w, (gr.Image, gr.Audio, gr.File, gr.Video)) for name, w in inputs.items()}
    if not any(takes_file.values()):
        pytest.skip(f"{task.title} takes no file: there is nothing to pass a URL as")
    for url in (f"{base}/cat.jpg", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/cat.jpg"):
        file = {"path": url, "url": url, "orig_name": "cat.jpg", "meta": FILE}
        started = time.monotonic()
        event, payload = call(app_url, task.api_name, model=tiny(task.name),
                              **{name: file if is_file else "hello" for name, is_file in takes_file.items()})
        assert event != "complete", (url, payload)
        assert time.monotonic() - started < 30  # refused, not left waiting on an address nobody should reach
        status, reply = lean(app_url, task.api_name, model=tiny(task.name),
                             **{name: url if is_file else "hello" for name, is_file in takes_file.items()})
        assert status == 400 and "data URL" in reply["error"], reply  # the lean route takes no URL at all
    assert hits == []  # the loopback server was never asked for anything


def test_a_server_file_path_is_not_read_as_an_upload(app_url, tiny):
    """A visitor naming a file on the server (not one they uploaded) gets it refused, not classified."""
    event, payload = call(app_url, "image_classification", model=tiny("image-classification"),
                          image={"path": str(ROOT / "assets" / "chelsea.jpg"), "meta": FILE}, top_k=1)
    assert event != "complete", payload


# ---- secrets -----------------------------------------------------------------------------------------------------


def test_no_secret_in_any_error_or_page(app_url, tiny, tmp_path):
    answers = [
        call(app_url, "text_classification", model="someone/not-downloaded", text="hello", top_k=1),
        call(app_url, "text_classification", model=tiny("text-classification"), text="", top_k=1),
        call(app_url, "text_classification", model=tiny("text-classification"), text="hello", top_k=999),
        call(app_url, "text_classification", model=SECRET[:3] + "/x", text="hello", top_k=1),
        call(app_url, "image_classification", model=tiny("image-classification"),
             image=upload(app_url, _text(tmp_path)), top_k=1),
        call(app_url, "automatic_speech_recognition", model=tiny("automatic-speech-recognition"),
             audio=upload(app_url, _text(tmp_path))),
    ]
    assert all(event == "error" and json.loads(payload)["error"] for event, payload in answers), answers  # a sentence
    lean_answers = [lean(app_url, "text_classification", model="someone/not-downloaded", text="hello"),
                    lean(app_url, "text_classification", model=SECRET[:3] + "/x", text="hello")]
    assert all(status == 400 and reply["error"] for status, reply in lean_answers), lean_answers
    answers += [(str(status), json.dumps(reply)) for status, reply in lean_answers]
    pages = [httpx.get(f"{app_url}{path}", timeout=30).text for path in ("/", "/config", "/gradio_api/info")]
    for text in [payload for _, payload in answers] + pages:
        assert SECRET not in text


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a picture")
    return path
