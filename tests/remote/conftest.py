"""Fixtures of tests/remote: a real `transformers serve` on 127.0.0.1 with tiny local models (see _serve.py)."""

from tests.remote._serve import (  # noqa: F401  (pytest finds fixtures by name in conftest)
    chat_server,
    chat_url,
    hub_loopback,
    served_models,
    whisper_server,
    whisper_url,
)
