"""The lean JSON API: `POST /api/<task>` runs a tab's own runner without Gradio's queue, session or event stream.

Gradio's API (`/gradio_api/call/<task>`) costs ~5-15 ms of the server's CPU per request (session, queue, event
stream, a thread hop per widget); on a small model that is most of the work. This route takes the same values, by
the same names, as a plain JSON object and answers with the pipeline's raw result:

    POST /api/text_classification   {"model": "<model>", "text": "I love it", "top_k": 2}
    200 {"result": [{"label": "POSITIVE", "score": 0.98}, ...], "status": "**<model>** · cpu · ..."}
    400 {"error": "Type some text to classify."}      a sentence, as the tab would show it
    413 {"error": "The Image is larger than ..."}      a file over the upload limit (--max-file-size)
    503 {"error": "The server is busy: ..."}           more requests waiting than --queue-size

Values left out take the tab's defaults; a missing or null model is the tab's first model. Files (images, audio,
video) are sent as data URLs, `"data:image/png;base64,..."`; paths and URLs are refused, so a caller can never make
the server read its own files or fetch a URL. It is the tab's very runner (model policy, limits, batching, errors),
under the same concurrency limits as the queue: batched tasks 2 x batch size at once, all others `--concurrency`
together, and at most `--queue-size` more waiting.
"""

import base64
import binascii
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from runtime.runner import Busy

from .gradio_patches.queue import BUSY

from .errors import said_plainly

log = logging.getLogger(__name__)
FILE_WIDGETS = (gr.Image, gr.Audio, gr.Video, gr.File)
BODY_FILES = 10  # a request body may hold this many files of the upload limit (image features takes up to 8)


class TooLarge(gr.Error):
    """A file over the server's upload limit: answered 413, as Gradio's upload route answers it."""


@dataclass
class Endpoint:
    """One tab's runner (its gate: the tab's one concurrency limit, shared with Gradio's queue) and the widgets
    whose values it takes by name."""

    runner: object
    widgets: dict  # value name -> widget ("model" for the picker)


class LeanAPI:
    """The lean route of one app: build_demo adds each tab's endpoint, `route()` is given to the server."""

    def __init__(self, off: str | None = None):
        self.queue_size: int | None = None  # requests that may wait for a gate; set by route()
        self.endpoints: dict[str, Endpoint] = {}
        self.off = off  # why this server has no lean route (every request is answered 404 with it), or None
        self._files = Path(tempfile.mkdtemp(prefix="playground-api-"))

    def add(self, tab) -> None:
        """A built tab's endpoint (web/tab.py Tab): its runner, its widgets by name, its queue settings."""
        if not self.off:
            self.endpoints[tab.task.api_name] = Endpoint(tab.runner, tab.values)

    def route(self, queue_size: int | None = None):
        """`POST /api/{api_name}`, for the server's FastAPI app: `demo.launch(app_kwargs={"routes": [route]})`.

        A request runs in its tab's gate (runtime/runner.py), the limit Gradio's queue shares, and is answered Busy
        if `queue_size` requests wait there already (None: no limit); files over the server's upload limit
        (`launch(max_file_size=...)`) are refused."""
        import orjson  # gradio's own JSON encoder
        from fastapi import Request
        from fastapi.responses import Response
        from fastapi.routing import APIRoute
        from starlette.concurrency import run_in_threadpool

        self.queue_size = queue_size

        def reply(status: int, content: dict) -> Response:
            return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY, default=str), status_code=status,
                            media_type="application/json")

        async def run(api_name: str, request: Request):
            """Run a task tab's pipeline: body {"model": ..., "<input>": ..., "<parameter>": ...} (README's API)."""
            limit = request.app.get_blocks().max_file_size
            most = BODY_FILES * limit * 4 // 3 + 2**20 if limit else None  # base64 is 4/3 of the bytes, plus text
            body = bytearray()
            async for chunk in request.stream():  # read no further than a body can be
                body += chunk
                if most is not None and len(body) > most:
                    return reply(413, {"error": f"The request is larger than this server accepts ({most / 2**20:.0f} "
                                                "MB at most)."})
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                data = None
            return reply(*await run_in_threadpool(self.answer, api_name, data, limit))  # in gradio's thread pool

        return APIRoute("/api/{api_name}", run, methods=["POST"], name="lean_api")

    def answer(self, api_name: str, body, max_file_size: int | None = None) -> tuple[int, dict]:
        """(HTTP status, JSON reply) for one request."""
        if self.off:
            return 404, {"error": self.off}
        endpoint = self.endpoints.get(api_name)
        if endpoint is None:
            return 404, {"error": f"No task {api_name!r} here. Tasks: {', '.join(sorted(self.endpoints))}."}
        names = ", ".join(endpoint.widgets)
        if not isinstance(body, dict):
            return 400, {"error": f"Send a JSON object of named values; {api_name} takes {names}."}
        unknown = sorted(body.keys() - endpoint.widgets.keys())
        if unknown:
            return 400, {"error": f"{api_name} takes no value named {', '.join(map(repr, unknown))}; it takes {names}."}
        made: list[Path] = []  # files written for this request, removed when it is answered
        try:
            values = {name: self._value(widget, body[name] if name in body else _default(widget), made, max_file_size)
                      for name, widget in endpoint.widgets.items()
                      if name != "model"}  # the model: checked against the server's policy by the runner
            with said_plainly(api_name):
                result = endpoint.runner.run(body.get("model"), values, waiting=self.queue_size)
        except Busy:
            return 503, {"error": BUSY}
        except TooLarge as error:
            return 413, {"error": error.message}
        except gr.Error as error:  # bad input: 400; a model server's fault: its status (runtime/remote.py)
            return getattr(error.__cause__, "status", 400), {"error": error.message}
        except Exception:
            log.exception("lean API %s failed", api_name)
            return 500, {"error": "The server could not process this request; its log says why."}
        finally:
            for path in made:
                path.unlink(missing_ok=True)
        return 200, {"result": result.raw, "status": result.status}

    def _value(self, widget, value, made: list[Path], max_file_size: int | None):
        """What the handler gets for `widget`, as gradio's own preprocessing would give it."""
        if isinstance(widget, FILE_WIDGETS):
            if value is None:
                return widget.preprocess(None)
            several = isinstance(widget, gr.File) and widget.file_count != "single"
            if several and not isinstance(value, list):
                raise gr.Error(f"Send the {widget.label} as a list of data URLs.")
            files = []
            for url in value if several else [value]:
                made.append(self._save(url, widget.label, max_file_size))
                files.append({"path": str(made[-1]), "meta": {"_type": "gradio.FileData"}})
            value = files if several else files[0]
        elif _names_a_file(value):
            raise gr.Error(f"The {widget.label or 'input'} cannot take files through this API; use the Gradio API.")
        data_model = getattr(widget, "data_model", None)
        if data_model is not None and value is not None:
            try:
                value = data_model.model_validate(value)
            except ValueError:  # pydantic's ValidationError
                raise gr.Error(f"The {widget.label or 'input'} is not in the form it takes; see the README's API "
                               "section.") from None
        return widget.preprocess(value)

    def _save(self, value, label, max_file_size: int | None) -> Path:
        """A data URL written to a private temporary file (the only files this route ever reads)."""
        if not (isinstance(value, str) and value.startswith("data:") and "," in value):
            raise gr.Error(f"Send the {label or 'file'} as a data URL (\"data:<type>;base64,...\"); "
                           "paths and web addresses are not accepted.")
        header, encoded = value.split(",", 1)
        try:
            content = base64.b64decode(encoded, validate=True) if header.endswith(";base64") else encoded.encode()
        except (binascii.Error, ValueError):
            raise gr.Error(f"The {label or 'file'} is not valid base64.") from None
        if max_file_size and len(content) > max_file_size:
            raise TooLarge(f"The {label or 'file'} is larger than this server accepts ({max_file_size / 2**20:g} MB "
                           "at most).")
        suffix = "." + header[5:].split(";")[0].split("/")[-1] if "/" in header else ""
        handle = tempfile.NamedTemporaryFile(dir=self._files, suffix=suffix[:12], delete=False)
        with handle:
            handle.write(content)
        return Path(handle.name)


def _default(widget):
    value = getattr(widget, "value", None)
    return None if callable(value) else value


def _names_a_file(value) -> bool:
    """True for gradio file payloads ({"path": ...} / {"url": ...}) anywhere inside a value."""
    if isinstance(value, dict):
        return "path" in value or "url" in value or any(_names_a_file(v) for v in value.values())
    if isinstance(value, list):
        return any(_names_a_file(v) for v in value)
    return False
