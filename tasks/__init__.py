"""The task registry: every module in this folder declares one TASK; available ones are collected here."""

import importlib
import logging
import pkgutil

from runtime.spec import Registry, Task

log = logging.getLogger(__name__)


def discover() -> Registry:
    tasks, left_out = [], {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):  # helpers shared by several tasks
            continue
        task: Task = importlib.import_module(f"{__name__}.{module.name}").TASK
        why = task.missing()
        if why:
            log.warning("Leaving out the %s tab: %s.", task.title, why)
            left_out[task.name] = why
        else:
            tasks.append(task)
    return Registry(tasks, left_out)


REGISTRY = discover()
