"""Brings back a pipeline transformers 5 removed, under its old name, when a task first loads a model."""


def register_removed(task: str, pipeline_class, pt_model, type: str) -> None:
    """Registers pipeline_class for task and takes task out of REMOVED_TASKS (pipeline() refuses those names first).

    Called lazily from a task's `load`, never at import: importing transformers.pipelines takes seconds.
    """
    from transformers.pipelines import PIPELINE_REGISTRY, REMOVED_TASKS

    REMOVED_TASKS.pop(task, None)
    if PIPELINE_REGISTRY.supported_tasks.get(task, {}).get("impl") is not pipeline_class:
        PIPELINE_REGISTRY.register_pipeline(task, pipeline_class=pipeline_class, pt_model=pt_model, type=type)
