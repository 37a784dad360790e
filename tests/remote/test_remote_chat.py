"""Chat on a model served elsewhere, by the OpenAI chat protocol: through a real `transformers serve` (the protocol
of vLLM, TGI and SGLang) and through this app's own endpoint mode. The answer streams, and Stop closes the remote
stream: the server stops generating."""

import contextlib
import threading
import time
from pathlib import Path

import pytest

from runtime.config import ModelChoice
from runtime.runner import Runner
from tasks import REGISTRY
from tests.remote._serve import cpu_seconds
from tests.remote.test_remote import front

ROOT = Path(__file__).resolve().parents[2]
CHAT = REGISTRY["text-generation"]
GREEDY = {"do_sample": False, "repetition_penalty": 1.0}  # what the chat protocol can say: the same answer both ways


def generating() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def test_a_chat_streams_through_transformers_serve(config, chat_server, chat_url):
    runner = front(config, CHAT, ModelChoice(chat_server.model, endpoint=chat_url))
    with contextlib.closing(runner.stream(None, {"message": "Tell me a story", "max_new_tokens": 24})) as results:
        replies = [r.outputs["history"][-1]["content"] for r in results]
    assert len({*replies}) > 2 and replies[-1].strip(), replies  # it grew piece by piece
    assert f"remote · {chat_url.split('//')[1].split('/')[0]}" in runner.run(None, {"message": "hi",
                                                                                   "max_new_tokens": 4}).status


def test_stop_closes_the_stream_and_transformers_serve_stops_generating(config, chat_server, chat_url):
    runner = front(config, CHAT, ModelChoice(chat_server.model, endpoint=chat_url))
    results = runner.stream(None, {"message": "Tell me a long story", "max_new_tokens": 2000})
    for _, _ in zip(range(3), results):
        pass
    before = cpu_seconds(chat_server.pid)
    time.sleep(1.0)
    busy = cpu_seconds(chat_server.pid) - before  # generating 2000 tokens: it keeps a core busy
    results.close()  # Stop
    time.sleep(0.5)
    before = cpu_seconds(chat_server.pid)
    time.sleep(1.0)
    idle = cpu_seconds(chat_server.pid) - before
    assert busy > 0.3 and idle < 0.2 * busy, (busy, idle)
    again = runner.run(None, {"message": "hi", "max_new_tokens": 4})  # the next request is answered at once
    assert again.outputs["history"][-1]["content"]


@pytest.fixture
def playground_chat(config, served, tiny):
    """A front runner whose chat model is the session app's tiny chat model, in endpoint mode."""
    name = Path(tiny("text-generation")).name
    return front(config, CHAT, ModelChoice(name, endpoint=f"{served[1].rstrip('/')}/models/{name}"))


def test_a_chat_through_a_playground_in_endpoint_mode_answers_as_the_local_model(config, models, playground_chat):
    values = {"message": "Write a haiku about the sea.", "max_new_tokens": 12, **GREEDY}
    local = Runner(CHAT, config, models).run(None, values)
    remote = playground_chat.run(None, values)
    assert remote.outputs["history"] == local.outputs["history"] and "round trip" in remote.status


def test_stop_on_a_playground_chat_ends_its_generation(playground_chat):
    results = playground_chat.stream(None, {"message": "Tell me a long story", "max_new_tokens": 2000, **GREEDY})
    for _, _ in zip(range(3), results):
        pass
    assert generating(), "the endpoint's model should be generating"
    results.close()  # Stop: the front closes its stream, the endpoint sees the connection close
    deadline = time.monotonic() + 5
    while generating() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not generating()


def test_an_image_chat_through_a_playground_in_endpoint_mode_answers_as_the_local_model(config, models, served, tiny):
    task = REGISTRY["image-text-to-text"]
    name = Path(tiny(task.name)).name
    runner = front(config, task, ModelChoice(name, endpoint=f"{served[1].rstrip('/')}/models/{name}"))
    values = {"message": {"text": "What is in this picture?", "files": [str(ROOT / "assets/chelsea.jpg")]},
              "max_new_tokens": 8, "temperature": 0.0}
    local = Runner(task, config, models).run(None, values)
    remote = runner.run(None, values)
    assert remote.outputs["history"][-1] == local.outputs["history"][-1] and "remote" in remote.status


def test_speech_goes_through_an_openai_engines_own_transcription_route(config, whisper_server, whisper_url):
    task = REGISTRY["automatic-speech-recognition"]
    runner = front(config, task, ModelChoice(whisper_server.model, endpoint=whisper_url))
    result = runner.run(None, {"audio": str(ROOT / "assets/speech_short.wav"), "timestamps": "segments"})
    assert result.outputs["transcript"] and "remote · 127.0.0.1" in result.status
    assert "gives no timestamps" in result.outputs["notes"]  # said, not a silently empty table
