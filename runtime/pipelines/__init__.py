"""Brings back pipelines transformers 5 removed, registered lazily through its own PIPELINE_REGISTRY."""

import threading

_lock = threading.Lock()


def register_removed(task: str, pipeline_class: type, pt_model, type: str = "text") -> None:
    """Registers pipeline_class for a task transformers 5 removed, so `pipeline(task, ...)` works again.

    Called from a task's `load`, never at import: importing transformers takes seconds and the app must not.
    transformers' pipeline() refuses names in REMOVED_TASKS before it looks at the registry, so the name
    leaves that table too.
    """
    from transformers import pipelines

    with _lock:
        pipelines.REMOVED_TASKS.pop(task, None)
        current = pipelines.PIPELINE_REGISTRY.supported_tasks.get(task, {})
        if current.get("impl") is not pipeline_class:
            pipelines.PIPELINE_REGISTRY.register_pipeline(task, pipeline_class=pipeline_class, pt_model=pt_model, type=type)
