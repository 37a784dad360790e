"""The tiny random-weight models of every task, as its test file declares them (`TINY` in tests/tasks/test_<task>.py):
what the test suite, `python app.py --build-tiny-models DIR` and the benchmarks build and serve."""

import importlib
from collections.abc import Mapping

from runtime.spec import Task, TinyModel


def tiny_models(tasks: Mapping[str, Task]) -> dict[str, tuple[TinyModel, ...]]:
    """{task name: its tiny models, the first one its default} for the given tasks; a task whose test file declares
    none has none."""
    found = {}
    for task in tasks.values():
        module = importlib.import_module(f"tests.tasks.test_{task.api_name}")
        found[task.name] = tuple(getattr(module, "TINY", ()))
    return found
