"""gradio's queue, waiting for something to happen instead of looking every millisecond.

gradio's queue runs two loops on the server's event loop that poll while there is nothing to do: the one that hands
requests to workers wakes every 1 ms to look for a new one (or a free worker), the one that sends progress updates
every 10 ms to look for a running job: 1,100 wake-ups a second on an idle server. Each takes a core for a moment
from a model running meanwhile; on 2 cores that slows it by 10-19% (torch's threads wait for the one held up).

`quiet(queue)` makes those idle sleeps wait until something happens that they look for (a request pushed, a job
started or ended), and never longer than IDLE_CHECK, so anything changed another way is still seen. A loop with
work to watch (progress of a running job) sleeps as gradio has it sleep. Nothing else about the queue changes.
"""

import asyncio
import logging
import types

log = logging.getLogger(__name__)
IDLE_CHECK = 0.1  # seconds an idle loop sleeps at most without being woken (gradio's: 0.001 and 0.01)


class _Loop:
    """One of a queue's polling loops: when it may sleep until woken, and what wakes it."""

    def __init__(self, queue, name: str, idle):
        self.queue, self.name, self.idle = queue, name, idle
        self.changed = asyncio.Event()  # made in the loop's own task, on the server's event loop
        self.woken = self.timeouts = 0  # how its idle sleeps ended (for tests)


class _Asyncio(types.ModuleType):
    """`asyncio` as gradio.queueing sees it: sleep() in a quiet queue's loop, while idle, waits to be woken."""

    def __init__(self):
        super().__init__("asyncio")
        self.loops: dict[asyncio.Task, _Loop] = {}

    def __getattr__(self, name):  # everything but sleep is asyncio's own
        return getattr(asyncio, name)

    async def sleep(self, delay, result=None):
        loop = self.loops.get(asyncio.current_task())
        if loop is None or not loop.idle():
            return await asyncio.sleep(delay, result)
        if not loop.changed.is_set():  # set: something happened since the loop last looked; it looks again
            try:
                await asyncio.wait_for(loop.changed.wait(), IDLE_CHECK)
                loop.woken += 1
            except TimeoutError:
                loop.timeouts += 1
        loop.changed.clear()
        return result

    def wake(self, queue) -> None:
        for loop in self.loops.values():
            if loop.queue is queue:
                loop.changed.set()


ASYNCIO = _Asyncio()


def quiet_shape_ok() -> bool:
    """gradio.queueing sleeps through its module's `asyncio`, in the two loops this wakes."""
    import gradio.queueing as queueing

    return queueing.asyncio in (asyncio, ASYNCIO) and all(
        callable(getattr(queueing.Queue, name, None))
        for name in ("push", "process_events", "start_processing", "start_progress_updates"))


def quiet(queue) -> bool:
    """The queue's idle loops wait to be woken by a push or a job's start or end; True if in place."""
    import gradio.queueing as queueing

    from . import on

    if getattr(queue, "quiet", False):
        return True
    if not on("quiet_queue"):
        return False
    queueing.asyncio = ASYNCIO
    push, process_events = queue.push, queue.process_events

    async def pushed(*args, **kwargs):
        answer = await push(*args, **kwargs)
        ASYNCIO.wake(queue)  # a request to hand out
        return answer

    async def processed(*args, **kwargs):
        ASYNCIO.wake(queue)  # a job to watch
        try:
            return await process_events(*args, **kwargs)
        finally:
            ASYNCIO.wake(queue)  # a worker and a concurrency slot free

    def waking(run, idle):
        async def loop():
            task = asyncio.current_task()
            ASYNCIO.loops[task] = _Loop(queue, run.__name__, idle)
            try:
                return await run()
            finally:
                del ASYNCIO.loops[task]

        return loop

    queue.push, queue.process_events, queue.quiet = pushed, processed, True
    # the hand-out loop sleeps only when it has nothing to hand out, or no worker or slot to hand it to
    queue.start_processing = waking(queue.start_processing, idle=lambda: True)
    queue.start_progress_updates = waking(
        queue.start_progress_updates, idle=lambda: all(job is None for job in queue.active_jobs))
    return True


BUSY = "The server is busy: too many requests are waiting. Please try again in a minute."


def limit_shape_ok() -> bool:
    """Blocks() makes its queue at once (queue() sets `_queue`), and a full queue's push() answers
    (accepted, detail, "queue_full")."""
    import inspect

    import gradio.blocks as blocks
    import gradio.queueing as queueing

    return ("self.queue(" in inspect.getsource(blocks.Blocks.__init__)
            and "self._queue = queueing.Queue(" in inspect.getsource(blocks.Blocks.queue)
            and '"queue_full"' in inspect.getsource(queueing.Queue.push))


def polite_queue(demo, max_size: int | None):
    """The demo's queue holding at most `max_size` waiting requests (None: no limit); a full queue answers BUSY
    instead of gradio's 'Queue is full. Max size is N and size is M.' (gradio has no setting for the wording).

    `demo.queue(max_size=...)` would rebuild gradio's whole FastAPI app, config and routes, which launch() builds
    again anyway: ~0.3 s of a 29-tab app's start-up. Blocks() has made its queue already; only its limit is set.
    Its loops wait for work instead of polling every millisecond (`quiet`). With the patch off: gradio's own
    demo.queue(max_size=...), and gradio's wording."""
    from . import on

    if not on("queue_limit"):
        demo.queue(max_size=max_size)
        quiet(demo._queue)
        return demo
    quiet(demo._queue)
    demo._queue.max_size = max_size
    push = demo._queue.push

    async def push_or_busy(*args, **kwargs):
        answer = await push(*args, **kwargs)
        if isinstance(answer, tuple) and len(answer) == 3 and answer[2] == "queue_full":
            return answer[0], BUSY, answer[2]
        return answer

    demo._queue.push = push_or_busy
    return demo
