"""A real `transformers serve` (the OpenAI-compatible server of transformers 5) on 127.0.0.1, for tests of remote
endpoints: the same protocol as vLLM, TGI's Messages API, SGLang and llama.cpp's server.

It serves the repo's own tiny random-weight models (no Hub): `tiny-gpt2-chat` of tests/tasks/test_text_generation.py
and `tiny-whisper` of tests/tasks/test_automatic_speech_recognition.py, built by runtime.tiny.build_all.

Needs `pip install "transformers[serving]==5.24.0"`: over requirements-dev.txt it adds only `openai` (3.60.0) and `jiter`.

Facts this relies on (transformers 5.24, huggingface_hub 2.4):
- The server is pinned to the folder given on its command line (preloaded at start, never unloaded); a chat request
  must name that exact string as `model` (InferenceClient sends "dummy" when none is given: 400).
- With HF_HUB_OFFLINE=1 huggingface_hub refuses every request, loopback included: `loopback_allowed()` lets its
  clients reach loopback addresses only (the Hub stays blocked).
- On SIGTERM uvicorn waits for open streams to finish (a running generation goes on to its end): stop() follows
  with SIGINT (uvicorn's force quit), then SIGKILL.
"""

import contextlib
import ctypes
import importlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 90.0  # measured here: /health answers 7-12 s after the start with a tiny model
STOP_TIMEOUT = 10.0
SERVING_PACKAGES = ("fastapi", "uvicorn", "openai", "pydantic")  # transformers' is_serve_available()


@dataclass(frozen=True)
class Served:
    """A running server: `base_url` is what InferenceClient / the openai client take, `model` the name requests give."""

    base_url: str  # http://127.0.0.1:P/v1
    model: str  # the served folder, as given on the command line
    pid: int
    log: Path  # the server's stdout + stderr


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now (the server binds it only after loading its model: serve() retries once if it was taken)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGTERM to the server if the test process dies without cleaning up (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the server's process group; SIGINT after 2 s (uvicorn waits for open streams to end; a SIGINT after
    the first signal makes it quit at once); SIGKILL if it is still there after `timeout` more seconds."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGINT, timeout), (signal.SIGKILL, 30.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # its own session (start_new_session): the group is the server's alone
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)


def _wait_ready(process: subprocess.Popen, root: str, log: Path, timeout: float) -> None:
    """Polls GET /health until it answers 200; raises with the log's tail if the server exits or the time runs out."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited with code {process.returncode}:\n{log_tail(log)}")
        with contextlib.suppress(OSError), opener.open(root + "/health", timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"transformers serve did not answer /health within {timeout:.0f} s:\n{log_tail(log)}")


@contextlib.contextmanager
def serve(model: str | Path, log: Path, *, host: str = "127.0.0.1", timeout: float = STARTUP_TIMEOUT,
          args: tuple[str, ...] = ()) -> Iterator[Served]:
    """Runs `transformers serve --host HOST --port P MODEL` (offline) until the block ends, even on failure.

    `model` is a local folder; `log` receives the server's output; `args` are more CLI options (e.g. "--log-level",
    "info"). Raises RuntimeError with the log's tail if the server does not come up within `timeout` seconds."""
    missing = [name for name in SERVING_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"transformers serve needs {missing}: pip install 'transformers[serving]'")
    folder = Path(model).resolve()
    if not (folder / "config.json").is_file():  # else serve fails after ~10 s with "Repo id must be in the form ..."
        raise FileNotFoundError(f"no model folder (config.json) at {folder}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    for attempt in (1, 2):
        port = free_port(host)
        command = [sys.executable, "-m", "transformers.cli.transformers", "serve", "--host", host, "--port", str(port),
                   *args, str(folder)]
        with open(log, "ab") as out:
            out.write(f"$ {' '.join(command)}\n".encode())
            out.flush()
            # preexec_fn: the only way to set PDEATHSIG; it runs a ctypes call only, in the forked child
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                       start_new_session=True, preexec_fn=_die_with_parent)  # noqa: PLW1509
        try:
            _wait_ready(process, f"http://{host}:{port}", log, timeout)
            break
        except RuntimeError:
            stop(process)
            if attempt == 1 and "address already in use" in log_tail(log, 5):
                continue  # another process took the port while the model loaded
            raise
        except BaseException:
            stop(process)
            raise
    try:
        yield Served(f"http://{host}:{port}/v1", str(folder), process.pid, log)
    finally:
        stop(process)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc): shows whether a server is still generating."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the tiny models ---

def _tiny(test_module: str, name: str):
    """The TinyModel named `name` that tests/tasks/<test_module>.py declares in TINY."""
    module = importlib.import_module(f"tests.tasks.{test_module}")
    return next(model for model in module.TINY if model.name == name)


def _edit_generation_config(folder: Path, **changes) -> None:
    path = folder / "generation_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}, indent=2))


def build_served_models(out: Path) -> dict[str, Path]:
    """{"chat": folder, "whisper": folder}: the repo's tiny-gpt2-chat and tiny-whisper, with generation configs fit
    for a server (which takes its defaults from generation_config.json, as for a real checkpoint):
    - chat: do_sample=True, as real chat checkpoints ship it: the server never turns sampling on by itself (only
      off, for temperature=0), so without it temperature / top_p / seed change nothing. The end token stays
      suppressed: a reply always runs to max_tokens (the server's default is 1024 tokens, ~10 s: give max_tokens).
    - whisper: timestamp tokens suppressed: the random model otherwise writes only timestamps, which decode to ""."""
    from runtime.tiny import build_all

    chat, whisper = _tiny("test_text_generation", "tiny-gpt2-chat"), _tiny(
        "test_automatic_speech_recognition", "tiny-whisper")
    config = json.loads(build_all(out, {"text-generation": [chat], "automatic-speech-recognition": [whisper]})
                        .read_text())
    assert not config["failed"], f"tiny model builders failed: {config['failed']}"
    folders = {"chat": out / "text-generation" / chat.name, "whisper": out / "automatic-speech-recognition" / whisper.name}
    _edit_generation_config(folders["chat"], do_sample=True)
    tokens = json.loads((folders["whisper"] / "tokenizer.json").read_text())["added_tokens"]
    timestamps = sorted(t["id"] for t in tokens if t["content"].startswith("<|") and t["content"][2:3].isdigit())
    _edit_generation_config(folders["whisper"], suppress_tokens=timestamps)
    return {role: folder.resolve() for role, folder in folders.items()}


# --- pytest fixtures (tests/remote/conftest.py re-exports them) ---

@pytest.fixture(scope="session")
def hub_loopback():
    """InferenceClient may reach 127.0.0.1 while HF_HUB_OFFLINE=1 keeps the Hub blocked: the app's own setting
    (runtime/remote.py), which a remote model makes on its first use."""
    from runtime.remote import offline_means_the_hub

    offline_means_the_hub()


@pytest.fixture(scope="session")
def served_models(tmp_path_factory) -> dict[str, Path]:
    return build_served_models(tmp_path_factory.mktemp("served-models"))


def served_model_fixtures(role: str):
    """The session fixtures `<role>_server`, `transformers serve` on the tiny model `role` of build_served_models,
    and `<role>_url`, its base URL (http://127.0.0.1:P/v1; requests name the model `<role>_server.model`)."""

    @pytest.fixture(scope="session", name=f"{role}_server")
    def server(served_models, hub_loopback, tmp_path_factory) -> Iterator[Served]:
        with serve(served_models[role], tmp_path_factory.mktemp("serve") / f"{role}.log") as served:
            yield served

    @pytest.fixture(scope="session", name=f"{role}_url")
    def url(request) -> str:
        return request.getfixturevalue(f"{role}_server").base_url

    return server, url


chat_server, chat_url = served_model_fixtures("chat")  # tiny-gpt2-chat, sampling on
# the tiny Whisper: POST multipart (file, model) to {base_url}/audio/transcriptions
whisper_server, whisper_url = served_model_fixtures("whisper")
