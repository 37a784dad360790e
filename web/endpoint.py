"""Endpoint mode (`--serve-inference-api`): this app answers the Hugging Face Inference API protocol for its own
models, so a GPU machine running the playground serves light front ends (another playground whose config names
`"endpoint": "http://gpu-box:7860/models/<id>"`) and any `huggingface_hub.InferenceClient(model=<that URL>)` user.

    POST /models/<model>                   {"inputs": ..., "parameters": {...}}, or the file's bytes as the body
    POST /models/<model>/pipeline/<task>   the same, when the model is offered for several tasks
    POST /models/<model>/v1/chat/completions   a chat model (text or image chat), by the OpenAI chat protocol,
                                               streamed with "stream": true; a closed connection ends generation

Answers are the transformers pipeline's own, or a task's `serve` (what `InferenceClient` reads back): JSON, or a
picture or a sound as its file (PNG, WAV). The hosting policy is the tabs': only models the server offers (or any, with
`allow_any_model`), the upload limit, the same concurrency gates and batching; inputs are data, never paths or URLs.
"""

import base64
import binascii
import contextlib
import io
import logging
import tempfile
import threading
import time
import uuid

from runtime.errors import RemoteError, UserError
from runtime.media import load_audio, load_image, resample
from runtime.remote import CLIENT_TASKS
from runtime.runner import Busy, jsonable

from .gradio_patches.queue import BUSY

log = logging.getLogger(__name__)
CHAT = "/v1/chat/completions"
RENAMED = {"generate_parameters": "generate_kwargs", "generation_parameters": "generate_kwargs"}


class TooLarge(UserError):
    """A file over the server's upload limit: 413, as gradio's upload route answers it."""


class InferenceAPI:
    """The routes of endpoint mode over the built tabs' runners (web/tab.py Tab.runner)."""

    def __init__(self, tabs: dict):
        self.runners = {name: tab.runner for name, tab in tabs.items() if name in CLIENT_TASKS}
        self.files = {name: file_kind(tab) for name, tab in tabs.items() if name in CLIENT_TASKS}

    def route(self, queue_size: int | None = None):
        from fastapi import Request
        from fastapi.responses import Response
        from fastapi.routing import APIRoute
        from starlette.concurrency import run_in_threadpool

        async def run(model: str, request: Request):
            """Hugging Face Inference API: {"inputs": ..., "parameters": ...} (README: endpoint mode)."""
            if model.endswith(CHAT):
                return await self.chat(model.removesuffix(CHAT), request, queue_size)
            limit = request.app.get_blocks().max_file_size
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if limit and len(body) > 2 * limit:  # a file of the upload limit, base64 and JSON around it
                    return Response(error(f"The request is larger than this server accepts ({limit / 2**20:g} MB)."),
                                    413, media_type="application/json")
            kind = request.headers.get("content-type", "")
            status, content, media = await run_in_threadpool(self.answer, model, bytes(body), kind, queue_size, limit)
            return Response(content, status, media_type=media)

        return APIRoute("/models/{model:path}", run, methods=["POST"], name="inference_api")

    def answer(self, path: str, body: bytes, kind: str = "", queue_size: int | None = None,
               max_file_size: int | None = None) -> tuple[int, bytes, str]:
        """(HTTP status, body, media type) for one request to /models/<path>."""
        json_type = "application/json"
        try:
            runner, choice = self._model(path)
            inputs, parameters = self._read(body, kind)
            task = runner.task
            with runner.gate_of(choice).slot(queue_size):
                loaded = runner.models.get(task, choice)
                inputs = decoded(self.files[task.name], inputs, loaded.pipe, runner.config.limits, max_file_size)
                result = self._call(runner, loaded.pipe, inputs, parameters)
            return 200, *encoded(result)
        except Busy:
            return 503, error(BUSY), json_type
        except RemoteError as refusal:
            return refusal.status, error(str(refusal)), json_type
        except LookupError as refusal:  # no such model here
            return 404, error(str(refusal.args[0])), json_type
        except UserError as refusal:
            return (413 if isinstance(refusal, TooLarge) else 400), error(str(refusal)), json_type
        except (TypeError, ValueError) as refusal:  # the pipeline's own refusal of a parameter or an input
            from runtime.models import describe

            return 400, error(f"The model could not take this request: {describe(refusal)}"), json_type
        except Exception:
            log.exception("endpoint mode: %s failed", path)
            return 500, error("The server could not process this request; its log says why."), json_type

    async def chat(self, model: str, request, queue_size: int | None):
        """OpenAI's chat completions for a chat task's model: one answer, or (stream) its pieces as server-sent
        events. The answer runs in a thread; a closed connection stops it at its next piece."""
        import orjson
        from fastapi.responses import Response, StreamingResponse
        from starlette.concurrency import run_in_threadpool

        try:
            body = orjson.loads(await request.body())
            runner, choice = self._model(model, chats=True)
            messages = body["messages"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return Response(error("Send an OpenAI chat request: {\"messages\": [...], ...}."), 400,
                            media_type="application/json")
        except LookupError as refusal:
            return Response(error(str(refusal.args[0])), 404, media_type="application/json")
        except UserError as refusal:
            return Response(error(str(refusal)), 400, media_type="application/json")
        stop = threading.Event()
        pieces = self._answer_pieces(runner, choice, messages, body, queue_size, stop)
        try:
            first = await run_in_threadpool(next, pieces, None)  # a refusal is answered before any stream begins
        except Busy:
            return Response(error(BUSY), 503, media_type="application/json")
        except UserError as refusal:
            return Response(error(str(refusal)), getattr(refusal, "status", 400), media_type="application/json")
        except Exception:
            log.exception("endpoint mode chat: %s failed", model)
            return Response(error("The server could not process this request; its log says why."), 500,
                            media_type="application/json")
        reply = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "model": body.get("model") or model,
                 "created": int(time.time())}
        if not body.get("stream"):
            text = first or ""
            while (piece := await run_in_threadpool(next, pieces, None)) is not None:
                text = piece
            message = {"role": "assistant", "content": text}
            return Response(orjson.dumps({**reply, "object": "chat.completion", "choices": [
                {"index": 0, "message": message, "finish_reason": "stop"}]}), media_type="application/json")

        async def events():
            sent = ""
            piece = first
            try:
                while piece is not None:
                    delta, sent = piece[len(sent):], piece
                    if delta:
                        chunk = {**reply, "object": "chat.completion.chunk",
                                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": delta}}]}
                        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
                    piece = await run_in_threadpool(next, pieces, None)
                end = {**reply, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                yield b"data: " + orjson.dumps(end) + b"\n\ndata: [DONE]\n\n"
            finally:  # the answer ended or the connection closed: generation ends
                stop.set()  # a thread still computing the next piece stops when it has it
                with contextlib.suppress(ValueError):  # "generator already executing": that thread is the one
                    pieces.close()

        return StreamingResponse(events(), media_type="text/event-stream")

    @staticmethod
    def _answer_pieces(runner, choice, messages, body, queue_size, stop):
        """The answer so far, piece by piece, in the model's gate; ends (closing generation) once `stop` is set."""
        with runner.gate_of(choice).slot(queue_size):
            loaded = runner.models.get(runner.task, choice)
            if getattr(loaded.pipe, "remote", False):
                raise UserError("This model is itself remote here; this server does not relay requests.")
            with contextlib.closing(runner.task.serve(loaded.pipe, messages, body)) as texts:
                yield ""  # the request is taken (model loaded, gate passed): the stream may begin
                for text in texts:
                    if stop.is_set():
                        return
                    yield text

    def _model(self, path: str, chats: bool = False):
        """The runner and model a path names: '<model>' or '<model>/pipeline/<task>', by the server's policy."""
        model, _, task = path.partition("/pipeline/")
        if task:
            runner = self.runners.get(task)
            if runner is None or (chats and not runner.task.streams):
                raise LookupError(f"This server has no task {task!r} in endpoint mode; it has "
                                  f"{', '.join(sorted(self.runners))}.")
            return runner, runner.config.resolve(runner.task, model)
        offering = [r for r in self.runners.values() if any(model in c.names for c in r.config.choices(r.task))
                    and (r.task.streams and r.task.serve is not None) == chats]
        if not offering:
            raise LookupError(f"This server offers no model {model!r}.")
        if len(offering) > 1:
            tasks = ", ".join(f"/models/{model}/pipeline/{r.task.name}" for r in offering)
            raise UserError(f"{model!r} is offered for several tasks here; post to one of {tasks}.")
        return offering[0], offering[0].config.resolve(offering[0].task, model)

    @staticmethod
    def _read(body: bytes, kind: str):
        """(inputs, parameters): a JSON payload, or a file's bytes sent as they are."""
        if "json" not in kind:
            return body, {}
        import orjson

        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UserError("The body is not JSON: send {\"inputs\": ..., \"parameters\": {...}}.") from None
        if not isinstance(payload, dict) or "inputs" not in payload:
            raise UserError("Send a JSON object {\"inputs\": ..., \"parameters\": {...}}.")
        parameters = payload.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise UserError("\"parameters\" must be a JSON object.")
        inputs = payload["inputs"]
        if "question" in payload and not isinstance(inputs, dict):  # visual QA: the image in "inputs", question beside
            inputs = {"image": inputs, "question": payload["question"]}
        return inputs, {RENAMED.get(k, k): v for k, v in parameters.items() if v is not None}

    @staticmethod
    def _call(runner, pipe, inputs, parameters: dict):
        """The task's `serve`, else the pipeline's own call; its pipeline calls batched with concurrent ones (the
        tabs' requests among them) where the task allows it, as for the tab's run."""
        if getattr(pipe, "remote", False):
            raise UserError("This model is itself remote here; this server does not relay requests.")
        task, batcher = runner.task, runner.batcher
        if batcher is not None:
            pipe = batcher.merging(task, pipe)  # the stand-in a batched task's `run` gets
        if task.serve is not None:
            return task.serve(pipe, inputs, parameters)
        return pipe(inputs, **parameters)


def file_kind(tab) -> str | None:
    """What a request's file is, "image" or "audio", as the tab's own widget takes it; None: the task takes none."""
    import gradio as gr

    for widget in tab.inputs.values():
        if isinstance(widget, gr.Image):
            return "image"
        if isinstance(widget, gr.Audio):
            return "audio"
    return None


def decoded(file: str | None, inputs, pipe, limits, max_file_size):
    """Files in a request (raw bytes, or base64 in JSON) as the pipeline takes them: PIL images, audio samples at the
    model's rate (`file`: file_kind). Strings that are not base64 are refused: this route never reads a path or
    fetches a URL."""
    if file == "audio":
        samples, rate = read_audio(raw(inputs, "audio", max_file_size), limits.max_audio_seconds)
        target = pipe.feature_extractor.sampling_rate
        return {"raw": resample(samples, rate, target), "sampling_rate": target}
    if file == "image":
        if isinstance(inputs, dict) and "image" in inputs:  # document and visual QA: {"image", "question"}
            return {**inputs, "image": load_image(io.BytesIO(raw(inputs["image"], "image", max_file_size)),
                                                  limits.max_image_side)}
        return load_image(io.BytesIO(raw(inputs, "image", max_file_size)), limits.max_image_side)
    return inputs


def raw(value, what: str, max_file_size: int | None) -> bytes:
    if isinstance(value, str):
        try:
            value = base64.b64decode(value.split(",", 1)[-1] if value.startswith("data:") else value, validate=True)
        except (binascii.Error, ValueError):
            raise UserError(f"Send the {what} as its bytes, or as base64 in \"inputs\"; paths and web addresses are "
                            "not accepted.") from None
    if not isinstance(value, (bytes, bytearray)) or not value:
        raise UserError(f"Send the {what} as its bytes, or as base64 in \"inputs\".")
    if max_file_size and len(value) > max_file_size:
        raise TooLarge(f"The {what} is larger than this server accepts ({max_file_size / 2**20:g} MB at most).")
    return bytes(value)


def read_audio(content: bytes, max_seconds: float):
    """(samples, rate) of an audio file's bytes, decoded as an upload is (any format ffmpeg reads)."""
    with tempfile.NamedTemporaryFile(prefix="playground-endpoint-") as handle:
        handle.write(content)
        handle.flush()
        return load_audio(handle.name, max_seconds)


def encoded(answer) -> tuple[bytes, str]:
    """The answer as the Inference API gives it: a picture as a PNG file, a sound ({"audio", "sampling_rate"}, as a
    transformers pipeline gives one) as a WAV file, anything else as JSON (pictures in it as base64 PNG: masks)."""
    import orjson
    from PIL import Image

    if isinstance(answer, Image.Image):
        return png(answer), "image/png"
    if isinstance(answer, dict) and {"audio", "sampling_rate"} <= answer.keys():
        import soundfile

        buffer = io.BytesIO()
        samples = answer["audio"].reshape(-1).astype("float32")  # the model's samples, not a 16-bit copy
        soundfile.write(buffer, samples, answer["sampling_rate"], format="WAV", subtype="FLOAT")
        return buffer.getvalue(), "audio/wav"
    return orjson.dumps(jsonable_full(answer)), "application/json"


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def jsonable_full(value):
    """Like runtime.runner.jsonable, but numbers are never summarised: a caller reads them all; a picture is its PNG
    file in base64."""
    import numpy as np
    from PIL import Image

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Image.Image):
        return base64.b64encode(png(value)).decode()
    if isinstance(value, dict):
        return {str(k): jsonable_full(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable_full(v) for v in value]
    return jsonable(value)


def error(message: str) -> bytes:
    import orjson

    return orjson.dumps({"error": message})

