"""Cancelling a job gives back what it holds: its place in the concurrency limit, and its stream.

gradio's `/gradio_api/cancel` (routes.py `cancel_event`) calls `utils.cancel_tasks({"<session>_<fn_index>"})`, which
cancels every running job of that session on that endpoint: the one asked for and, for a gradio_client that submitted
several (they share its session), all the others. Two of them can be cut down at a bad moment:
- a job `Queue.start_processing` has just handed out (its task made, its `process_events` not begun) never runs at
  all, so neither does the `finally` of `process_events` that gives back the slot of its concurrency limit: that slot
  is taken for good, and once all are, every task of the limit waits forever;
- a job already cancelled, cancelled again while `process_events` cleans up, stops cleaning up: its generator is
  never closed, and keeps the runner's slot (and, until its stream notices nobody reads, its generation thread).
Seen here: 32 streams submitted by one client and cancelled after 1 s left 2 of the 2 slots taken on each run.

`cancel_tasks` here is gradio's, except that a job is cancelled once it has begun, and only once.
"""

import asyncio
import inspect

SEPARATOR = "<gradio-sep>"  # gradio names a job's task "<session>_<fn_index><gradio-sep><event id>"


def shape_ok() -> bool:
    """The cancel route cancels through routes' `cancel_tasks`, which is gradio's (cancel every task named so), and
    a job's task is named as it is made, its slot given back in process_events' `finally`."""
    from gradio import queueing, routes, utils

    source = inspect.getsource(utils.cancel_tasks)
    processing = inspect.getsource(queueing.Queue.process_events)
    return (getattr(routes.cancel_tasks, "original", routes.cancel_tasks) is utils.cancel_tasks
            and "await cancel_tasks({f\"{body.session_hash}_{body.fn_index}\"})" in inspect.getsource(routes)
            and f'"{SEPARATOR}"' in source and "task.cancel()" in source
            and "set_task_name(" in inspect.getsource(queueing.Queue.start_processing)
            and "finally:" in processing and "current_concurrency -= 1" in processing)


async def cancel_tasks(task_ids: set[str]) -> list[str]:
    """gradio's `utils.cancel_tasks`, except that a task is cancelled once it has begun, and only once."""
    tasks = [task for task in asyncio.all_tasks()
             if SEPARATOR in task.get_name() and task.get_name().split(SEPARATOR)[0] in task_ids]
    while any(inspect.getcoroutinestate(task.get_coro()) == inspect.CORO_CREATED for task in tasks):
        await asyncio.sleep(0)  # a task's first step comes before this one's next
    for task in tasks:
        if not task.cancelling():  # cancelled already: cleaning up
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [task.get_name().split(SEPARATOR)[1] for task in tasks]


def safe_cancel() -> None:
    from gradio import routes

    if getattr(routes.cancel_tasks, "original", None) is None:
        cancel_tasks.original = routes.cancel_tasks
        routes.cancel_tasks = cancel_tasks
