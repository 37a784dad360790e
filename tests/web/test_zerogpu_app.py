"""ZeroGPU in the app: every GPU-bound event is wrapped with spaces.GPU and queued together; no lean route."""

import sys
import types


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
