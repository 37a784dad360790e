"""ZeroGPU: with a `spaces` package importable and the Space saying so, GPU-bound handlers get spaces.GPU."""

import sys
import types

from runtime import zerogpu


def test_off_without_the_spaces_package(monkeypatch):
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setattr(zerogpu.importlib.util, "find_spec", lambda name: None)
    handler = lambda x: x  # noqa: E731
    assert not zerogpu.enabled() and zerogpu.gpu(handler) is handler and zerogpu.concurrency_id() is None


def test_on_zerogpu_handlers_are_wrapped_and_share_one_queue(monkeypatch):
    wrapped = []
    spaces = types.ModuleType("spaces")
    spaces.__spec__ = types.SimpleNamespace(name="spaces")

    def GPU(duration=60):
        def wrap(fn):
            wrapped.append((fn, duration))
            return fn
        return wrap

    spaces.GPU = GPU
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    handler = lambda x: x  # noqa: E731
    assert zerogpu.enabled() and zerogpu.gpu(handler) is handler and wrapped == [(handler, 60)]
    assert zerogpu.concurrency_id() == "gpu"
