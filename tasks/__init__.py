"""The task registry: every module in this folder declares one TASK; available ones are collected here."""

import importlib
import logging
import os
import pkgutil

from runtime.spec import Registry, Task

log = logging.getLogger(__name__)


def discover(only: str | None = None) -> Registry:
    """Every task module's TASK; `only` (default: $PLAYGROUND_TASKS), comma-separated task names, keeps just those:
    a host's smaller app, or a developer's quick run of one tab."""
    only = only if only is not None else os.environ.get("PLAYGROUND_TASKS", "")
    wanted = {name.strip().replace("_", "-") for name in only.split(",") if name.strip()}
    tasks, left_out = [], {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_") or (wanted and module.name.replace("_", "-") not in wanted):
            continue  # helpers shared by several tasks, or a tab not asked for
        task: Task = importlib.import_module(f"{__name__}.{module.name}").TASK
        why = task.missing()
        if why:
            log.warning("Leaving out the %s tab: %s.", task.title, why)
            left_out[task.name] = why
        else:
            tasks.append(task)
    return Registry(tasks, left_out)


REGISTRY = discover()
