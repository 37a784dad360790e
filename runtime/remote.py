"""Models that run elsewhere, reached through huggingface_hub's InferenceClient: a serving engine (TGI, vLLM,
SGLang, `transformers serve`: OpenAI-compatible), TEI, an Inference Endpoint, an Inference Provider, or another
Pipeline Playground in endpoint mode (web/endpoint.py).

The model cache hands a task a `RemoteModel` where it would hand a local pipeline: called as a pipeline is,
`model(inputs, **kwargs)`, it makes the InferenceClient call of its task and answers in the pipeline's shape, so a
task's `prepare` and `present` (and the tab, Compare, Batch, the APIs) work unchanged. A task whose own `run` reaches
into the pipeline (its tokenizer, its model) says how it runs remotely with `Task.remote`. Faults become one sentence
naming the server (never the token): `RemoteError`."""

import contextlib
import inspect
import io
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from .errors import RemoteError

log = logging.getLogger(__name__)

# InferenceClient's method for each task it serves, where the name is not the task's (text-to-audio is TTS)
METHODS = {"text-to-audio": "text_to_speech", "text-generation": "chat_completion",
           "image-text-to-text": "chat_completion"}
CLIENT_TASKS = (  # the pipeline tasks InferenceClient has a method for (huggingface_hub 2.4)
    "text-classification", "token-classification", "fill-mask", "zero-shot-classification", "feature-extraction",
    "question-answering", "table-question-answering", "summarization", "translation", "text-generation",
    "image-classification", "object-detection", "image-segmentation", "zero-shot-image-classification",
    "image-to-text", "document-question-answering", "visual-question-answering", "image-text-to-text",
    "text-to-image", "automatic-speech-recognition", "audio-classification", "text-to-audio",
)
RENAMED = {"stride": "doc_stride"}  # a pipeline argument the Inference API spells otherwise


def method_name(task) -> str:
    return METHODS.get(task.name, task.name.replace("-", "_"))


def arguments(method, inputs, kwargs: dict, convert) -> dict:
    """An InferenceClient method's arguments for `pipeline(inputs, **kwargs)`: the input first (or, a dict of its
    argument names, by name), then the settings it has a name for."""
    takes = [name for name in inspect.signature(method).parameters if name != "self"]
    named = {RENAMED.get(k, k): v for k, v in kwargs.items()}
    if isinstance(inputs, dict) and "raw" not in inputs and "array" not in inputs and set(inputs) <= set(takes):
        args = {k: convert(v) for k, v in inputs.items()}  # question answering: question and context by name
    else:
        args = {takes[0]: convert(inputs)}
    return args | {k: v for k, v in named.items() if k in takes and k not in args}


@dataclass(frozen=True)
class Served:
    """Where a remote model runs, as the status line says it (in place of a local Placement)."""

    host: str  # "gpu-box:8080" or "provider together"

    def __str__(self) -> str:
        return f"remote · {self.host}"

    def pipeline_kwargs(self) -> dict:
        return {}


class RemoteModel:
    """One remote model of one task; thread-safe. `remote` marks it for Task.call and the runner."""

    remote = True

    def __init__(self, task, choice):
        self.task, self.choice = task, choice
        self.where = Served(host_of(choice))
        self._client = self.client()  # for one-shot calls; a stream gets a client of its own (see chat)

    def client(self):
        from huggingface_hub import InferenceClient

        offline_means_the_hub()
        token = os.environ.get(self.choice.token_env) if self.choice.token_env else None
        if self.choice.provider:
            return InferenceClient(provider=self.choice.provider, api_key=token, timeout=self.choice.timeout)
        return InferenceClient(base_url=self.choice.endpoint, api_key=token, timeout=self.choice.timeout)

    def __call__(self, inputs, **kwargs):
        """The task's InferenceClient call, as `pipeline(inputs, **kwargs)` would be made; arguments the protocol has
        no name for stay behind (the engine decides them: truncation, batching)."""
        method = getattr(self._client, method_name(self.task))
        args = arguments(method, inputs, kwargs, wire)
        if "model" in inspect.signature(method).parameters and self.choice.provider:
            args["model"] = self.choice.id  # an endpoint URL is the model; a provider is told which
        with self.faults():
            return shaped(self.task.name, inputs, plain(method(**args)))

    def chat(self, messages: list[dict], **params) -> Iterator[str]:
        """Streams the answer's text, piece by piece. Closing the iterator closes the HTTP stream (its own client's),
        which is how an OpenAI-compatible engine learns to stop generating."""
        with self.faults(), contextlib.closing(self.client()) as client:
            stream = client.chat_completion(messages, model=self.choice.id, stream=True, **params)
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    @property
    def openai(self) -> bool:
        """An OpenAI-compatible engine (its URL ends in /v1: vLLM, TGI, SGLang, `transformers serve`)."""
        return bool(self.choice.endpoint) and urlparse(self.choice.endpoint).path.rstrip("/").endswith("/v1")

    def transcription(self, audio: bytes) -> dict:
        """{"text"} by the OpenAI audio protocol (a multipart upload to /v1/audio/transcriptions), which
        InferenceClient does not speak: its speech call posts the bare file, which such engines refuse."""
        from huggingface_hub import get_session
        from huggingface_hub.utils import hf_raise_for_status

        token = os.environ.get(self.choice.token_env) if self.choice.token_env else None
        offline_means_the_hub()
        with self.faults():
            response = get_session().post(
                f"{self.choice.endpoint.rstrip('/')}/audio/transcriptions", data={"model": self.choice.id},
                files={"file": ("audio.wav", audio, "audio/wav")}, timeout=self.choice.timeout,
                headers={"authorization": f"Bearer {token}"} if token else {})
            hf_raise_for_status(response)
            return {"text": response.json()["text"]}

    @contextlib.contextmanager
    def faults(self):
        """Every failure of the server or the connection as a sentence naming the server; the traceback goes to the
        log (never the token: it is in no message)."""
        from huggingface_hub.errors import HfHubHTTPError

        where, choice = self.where.host, self.choice
        try:
            yield
        except RemoteError:
            raise
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else 502
            raise RemoteError(http_sentence(status, where, choice, said(error)), status) from error
        except Exception as error:
            log.warning("model server %s: %s", where, type(error).__name__, exc_info=True)
            if "Timeout" in type(error).__name__:  # huggingface_hub's InferenceTimeoutError, httpx's timeouts
                raise RemoteError(f"The model server {where} did not answer within {choice.timeout:g} s; try again, "
                                  "or ask the host to raise its timeout.", 504) from error
            if isinstance(error, (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, IndexError)):
                raise RemoteError(f"The model server {where} answered in a form this app cannot read "
                                  f"({type(error).__name__}).", 502) from error
            if isinstance(error, OSError) or type(error).__module__.startswith(("httpx", "httpcore", "h11")):
                raise RemoteError(f"The model server {where} cannot be reached: is it running?", 502) from error
            raise


def http_sentence(status: int, where: str, choice, detail: str) -> str:
    if status in (401, 403):
        token = f" (the token in ${choice.token_env})" if choice.token_env else " (no token is configured for it)"
        return f"The model server {where} refused this server's credentials{token}: HTTP {status}."
    if status == 404:
        return f"The model server {where} does not serve '{choice.display}' (HTTP 404)."
    if status == 429:
        return f"The model server {where} is busy (too many requests): try again in a moment."
    if status == 503:
        return f"The model server {where} is busy or still starting up (HTTP 503): try again in a moment."
    if 400 <= status < 500:
        return f"The model server {where} refused the request (HTTP {status}){': ' + detail if detail else ''}."
    return f"The model server {where} failed (HTTP {status}){': ' + detail if detail else ''}."


def said(error) -> str:
    """The server's own message, short and without secrets."""
    from .models import describe

    try:
        body = error.response.json()
        text = body.get("error") or body.get("message") or "" if isinstance(body, dict) else ""
        text = text.get("message", "") if isinstance(text, dict) else str(text)
    except Exception:  # noqa: BLE001 - not JSON, or a streamed response already read
        text = ""
    return describe(Exception(text)).rstrip(".")[:200] if text else ""


_offline_set = threading.Lock()


def offline_means_the_hub() -> None:
    """huggingface_hub's offline mode (HF_HUB_OFFLINE=1, what an air-gapped host sets) refuses every request of its
    client, a serving engine on the host's own network too. Here, in offline mode, its client (set through its public
    `set_client_factory`) refuses requests to the Hub only, as offline mode promises, and reaches the operator's
    endpoints."""
    from huggingface_hub import constants

    if not constants.is_offline_mode() or getattr(offline_means_the_hub, "done", False):
        return
    with _offline_set:
        if getattr(offline_means_the_hub, "done", False):
            return
        import httpx2
        from huggingface_hub import set_client_factory
        from huggingface_hub.errors import OfflineModeIsEnabled

        hub = {urlparse(constants.ENDPOINT).hostname, "huggingface.co", "hf.co"}

        def refuse_the_hub(request):
            host = request.url.host or ""
            if host in hub or host.endswith((".huggingface.co", ".hf.co")):
                raise OfflineModeIsEnabled(f"Cannot reach {request.url}: offline mode is enabled (HF_HUB_OFFLINE).")

        set_client_factory(lambda: httpx2.Client(event_hooks={"request": [refuse_the_hub]}, follow_redirects=True,
                                                 timeout=None))
        offline_means_the_hub.done = True


def host_of(choice) -> str:
    if choice.provider:
        return f"provider {choice.provider}"
    url = urlparse(choice.endpoint)
    return url.netloc or choice.endpoint


def wire(value):
    """An input as the protocol carries it: images as PNG bytes, audio as WAV bytes, the rest as it is."""
    if hasattr(value, "save") and hasattr(value, "mode"):  # a PIL image
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return buffer.getvalue()
    if isinstance(value, dict) and ("raw" in value or "array" in value):  # audio samples at a rate
        import soundfile

        buffer = io.BytesIO()
        soundfile.write(buffer, value.get("raw", value.get("array")), value["sampling_rate"], format="WAV")
        return buffer.getvalue()
    return value


def plain(value):
    """InferenceClient's typed answers (dict subclasses, dataclasses) as plain dicts and lists; images stay."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def shaped(task: str, inputs, result):
    """The answer in the transformers pipeline's shape where the Inference API's differs."""
    if task == "text-classification" and isinstance(result, dict):  # a server that answered one text's labels
        return [result]  # unnested: InferenceClient then hands back only the first
    if task == "zero-shot-classification":  # [{label, score}] -> {sequence, labels, scores}
        return {"sequence": inputs, "labels": [r["label"] for r in result], "scores": [r["score"] for r in result]}
    if task == "image-segmentation":  # masks travel as base64 PNGs (InferenceClient opens them); semantic: no score
        import base64

        from PIL import Image

        def mask(value):
            return Image.open(io.BytesIO(base64.b64decode(value))) if isinstance(value, str) else value

        return [{"score": None, **r, "mask": mask(r["mask"]).convert("L")} for r in result]
    if task == "text-to-audio":  # the audio file's bytes
        import soundfile

        samples, rate = soundfile.read(io.BytesIO(result), dtype="float32")
        return {"audio": samples, "sampling_rate": rate}
    return result


class Gates:
    """One concurrency gate per endpoint (or provider) and limit, shared by every task and route that uses it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._gates: dict[str, Any] = {}

    def __call__(self, choice):
        from .runner import Gate

        with self._lock:
            key = (choice.endpoint or choice.provider, choice.max_concurrency)
            return self._gates.setdefault(key, Gate(choice.max_concurrency))


GATES = Gates()


def chat_params(settings: dict) -> dict:
    """Generation settings as the OpenAI chat protocol names them; greedy is temperature 0. Settings it has no name
    for (top_k, repetition_penalty) are the engine's to decide."""
    params = {"max_tokens": int(settings.get("max_new_tokens", 256))}
    if settings.get("do_sample", True):
        params |= {k: float(settings[k]) for k in ("temperature", "top_p") if settings.get(k) is not None}
    else:
        params["temperature"] = 0.0
    if settings.get("seed") is not None and int(settings["seed"]) >= 0:
        params["seed"] = int(settings["seed"])
    return params


def chat_messages(chat: list[dict]) -> list[dict]:
    """A chat in the template's form (text blocks, PIL images) as the OpenAI protocol carries it: images as data
    URLs. Audio and video have no common form there: refused with a sentence."""
    import base64

    from .errors import UserError

    def block(part):
        if isinstance(part, str) or part.get("type") == "text":
            return {"type": "text", "text": part if isinstance(part, str) else part["text"]}
        if part.get("type") == "image":
            data = base64.b64encode(wire(part["image"])).decode()
            return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}
        raise UserError(f"A remote chat model takes text and images; this message has {part.get('type')}.")

    turns = []
    for turn in chat:
        content = turn["content"]
        content = content if isinstance(content, str) else [block(part) for part in content]
        turns.append({"role": turn["role"], "content": content})
    return turns


def chat_stream(model: RemoteModel, chat: list[dict], settings: dict) -> Iterator[str]:
    """The answer so far, per piece of a remote chat's stream; closing it closes the stream."""
    text = ""
    with contextlib.closing(model.chat(chat_messages(chat), **chat_params(settings))) as pieces:
        for piece in pieces:
            text += piece
            yield text


def as_pipeline(model: RemoteModel, call, progress=None):
    """`Task.remote` of a task whose `run` only adapts the local pipeline: remotely the call goes as it is."""
    return model(call.inputs, **call.kwargs)


def generation_settings(params: dict) -> dict:
    """The OpenAI chat protocol's settings as generate() names them (endpoint mode's side of `chat_params`)."""
    temperature = float(params.get("temperature") if params.get("temperature") is not None else 1.0)
    settings = {"max_new_tokens": int(params.get("max_tokens") or params.get("max_completion_tokens") or 256)}
    if temperature <= 0:
        return settings | {"do_sample": False}
    return settings | {"do_sample": True, "temperature": temperature, "top_p": float(params.get("top_p") or 1.0)}
