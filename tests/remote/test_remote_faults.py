"""A model server that misbehaves on purpose, on loopback: every fault is one sentence naming the server (never the
token), nothing hangs past the timeout, the next request works and other tabs are not touched."""

import http.server
import json
import logging
import socket
import threading
import time
import typing

import pytest

from runtime.config import ModelChoice
from runtime.devices import DeviceManager
from runtime.errors import RemoteError
from runtime.models import ModelCache
from runtime.runner import Runner
from runtime.snippets import SnippetContext, snippet
from tasks import REGISTRY
from tests.remote.test_remote import front

TASK = REGISTRY["text-classification"]
TOKEN = "hf_MARKERtoken0123456789secret"  # must never be seen outside the request's Authorization header
ANSWER = [[{"label": "POSITIVE", "score": 0.9}, {"label": "NEGATIVE", "score": 0.1}]]
TIMEOUT = 1.0


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers by its path: /ok, /slow, /garbage, /shape, or /<HTTP status>."""

    seen: typing.ClassVar[list[str]] = []  # the Authorization headers received
    inside: typing.ClassVar[list[int]] = [0, 0]  # requests being answered now, and the most at once
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        Misbehaving.seen.append(self.headers.get("authorization", ""))
        name = self.path.strip("/")
        if name == "busy":  # takes a while, counting how many are being answered at once
            with Misbehaving.lock:
                Misbehaving.inside[0] += 1
                Misbehaving.inside[1] = max(Misbehaving.inside)
            time.sleep(0.3)
            with Misbehaving.lock:
                Misbehaving.inside[0] -= 1
            return self.reply(200, ANSWER)
        if name == "slow":
            time.sleep(TIMEOUT * 4)
            return self.reply(200, ANSWER)
        if name == "garbage":
            return self.reply(200, b"<html>upstream hiccup</html>")
        if name == "shape":
            return self.reply(200, {"unexpected": "shape"})
        if name.isdigit():
            return self.reply(int(name), {"error": f"status {name} on purpose"})
        return self.reply(200, ANSWER)

    def reply(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the slow case)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_TEST_TOKEN", TOKEN)


def runner(config, url: str) -> Runner:
    return front(config, TASK, ModelChoice("acme/sentiment", endpoint=url, token_env="PLAYGROUND_TEST_TOKEN",
                                           timeout=TIMEOUT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FAULTS = {  # path -> words the sentence must hold
    "401": "refused this server's credentials (the token in $PLAYGROUND_TEST_TOKEN): HTTP 401",
    "403": "refused this server's credentials (the token in $PLAYGROUND_TEST_TOKEN): HTTP 403",
    "404": "does not serve 'acme/sentiment' (HTTP 404)",
    "429": "is busy (too many requests): try again in a moment",
    "503": "is busy or still starting up (HTTP 503)",
    "500": "failed (HTTP 500): status 500 on purpose",
    "slow": f"did not answer within {TIMEOUT:g} s",
    "garbage": "answered in a form this app cannot read",
    "shape": "answered in a form this app cannot read",
}


@pytest.mark.parametrize("path", FAULTS)
def test_each_fault_is_a_sentence_naming_the_server_then_the_next_request_works(config, server, token, caplog, path):
    caplog.set_level(logging.DEBUG)
    host = server.split("//")[1]
    began = time.perf_counter()
    with pytest.raises(RemoteError) as refused:
        runner(config, f"{server}/{path}").run(None, {"text": "I love it"})
    assert time.perf_counter() - began < TIMEOUT + 3  # no hang past the timeout
    assert f"The model server {host} " in str(refused.value) and FAULTS[path] in str(refused.value), str(refused.value)
    assert TOKEN not in str(refused.value) and TOKEN not in caplog.text
    good = runner(config, f"{server}/ok").run(None, {"text": "I love it"})  # the same server, the next request
    assert good.outputs["labels"] == {"POSITIVE": 0.9, "NEGATIVE": 0.1} and f"remote · {host}" in good.status
    assert Misbehaving.seen[-1] == f"Bearer {TOKEN}"  # the token went where it belongs, and only there


def test_a_server_that_is_down_is_said_at_once_and_other_tabs_go_on(config, models, token, tiny):
    down = f"127.0.0.1:{free_port()}"
    began = time.perf_counter()
    with pytest.raises(RemoteError, match=f"The model server {down} cannot be reached: is it running"):
        runner(config, f"http://{down}").run(None, {"text": "I love it"})
    assert time.perf_counter() - began < TIMEOUT + 3
    local = Runner(REGISTRY["token-classification"], config, models).run(None, {"text": "Ada lives in Paris"})
    assert "remote" not in local.status and "from cache" in local.status or "loaded in" in local.status


def test_the_token_reaches_no_status_raw_result_snippet_or_log(config, server, token, caplog):
    caplog.set_level(logging.DEBUG)
    result = runner(config, f"{server}/ok").run(None, {"text": "I love it"})
    code = snippet(SnippetContext(TASK, result.model.id, result.placement.pipeline_kwargs(), result.call,
                                  remote=result.model))
    for seen in (result.status, json.dumps(result.raw), code, caplog.text, repr(result.model)):
        assert TOKEN not in seen
    assert "InferenceClient(" in code and "PLAYGROUND_TEST_TOKEN" in code  # names where the token is, not the token


def test_the_lean_api_answers_a_fault_with_the_servers_status(config, server, token):
    from web.api import Endpoint, LeanAPI

    api = LeanAPI()
    import gradio as gr

    api.endpoints[TASK.api_name] = Endpoint(runner(config, f"{server}/503"), {"model": gr.Dropdown(), "text": gr.Textbox()})
    status, body = api.answer(TASK.api_name, {"text": "I love it"})
    assert status == 503 and "busy or still starting up" in body["error"] and TOKEN not in body["error"]


def test_a_remote_entry_for_a_local_only_task_is_refused_at_start_up(config):
    bad = ModelChoice("depth", endpoint="http://gpu-box:8080")
    with pytest.raises(ValueError, match="Depth estimation runs local models only"):
        __import__("dataclasses").replace(config, models={"depth-estimation": (bad,)}).check_remote(REGISTRY)


def test_a_visitor_cannot_name_an_endpoint(config):
    import dataclasses

    open_config = dataclasses.replace(config, allow_any_model=True)
    assert not open_config.resolve(TASK, "http://evil.example/steal").remote


def test_a_remote_model_costs_nothing_against_the_memory_budget(config, server):
    cache = ModelCache(DeviceManager("cpu"), budget_bytes=1)
    choice = ModelChoice("acme/sentiment", endpoint=f"{server}/ok")
    first, again = cache.get(TASK, choice), cache.get(TASK, choice)
    assert first.pipe is again.pipe and cache.resident_bytes() == 0 and cache.loaded() == []


def test_a_remote_server_gets_at_most_its_max_concurrency_from_every_route_together(config, server):
    from concurrent.futures import ThreadPoolExecutor

    choice = ModelChoice("acme/sentiment", endpoint=f"{server}/busy", max_concurrency=2)
    runners = [front(config, TASK, choice) for _ in range(2)]  # two routes (say the tab and the lean API)
    Misbehaving.inside[1] = 0
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: runners[i % 2].run(None, {"text": f"text {i}"}), range(8)))
    assert all(a.outputs["labels"] for a in answers)
    assert Misbehaving.inside[1] == 2  # never more than 2 at the server, and it got 2 at once
