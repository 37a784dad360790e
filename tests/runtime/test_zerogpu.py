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


def test_the_app_wraps_every_gpu_bound_event_and_queues_them_together(monkeypatch, config):
    wrapped = []
    spaces = types.ModuleType("spaces")
    spaces.__spec__ = types.SimpleNamespace(name="spaces")
    spaces.GPU = lambda duration=60: lambda fn: wrapped.append(fn) or fn
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    from app import build_demo
    from tasks import REGISTRY

    demo = build_demo(config)
    gpu_events = {f.api_name: f for f in demo.fns.values() if f.concurrency_id == "gpu"}
    for task in REGISTRY.values():
        assert {task.api_name, f"{task.api_name}_compare"} <= set(gpu_events), task.name
        assert gpu_events[task.api_name].fn in wrapped
    assert "text_classification_batch" in gpu_events and "image_classification_batch" in gpu_events
    status, reply = demo.lean_api.answer("text_classification", {"data": [None, "hello"]})
    assert status == 404 and "ZeroGPU" in reply["error"]  # GPU time goes per visitor through the queue only
