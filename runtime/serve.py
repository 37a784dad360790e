"""gradio's queue as this app wants it: a limit on waiting requests, said politely, and loops that wait quietly."""

import gradio as gr

from .quiet_queue import quiet


BUSY = "The server is busy: too many requests are waiting. Please try again in a minute."


def polite_queue(demo: gr.Blocks, max_size: int | None) -> gr.Blocks:
    """The demo's queue holding at most `max_size` waiting requests (None: no limit); a full queue answers BUSY
    instead of gradio's 'Queue is full. Max size is N and size is M.' (gradio has no setting for the wording).

    `demo.queue(max_size=...)` would rebuild gradio's whole FastAPI app, config and routes, which launch() builds
    again anyway: ~0.3 s of a 29-tab app's start-up. Blocks() has made its queue already; only its limit is set.
    Its loops wait for work instead of polling every millisecond (runtime/quiet_queue.py)."""
    quiet(demo._queue)
    demo._queue.max_size = max_size
    push = demo._queue.push

    async def push_or_busy(*args, **kwargs):
        accepted, detail, state = await push(*args, **kwargs)
        return (accepted, BUSY, state) if state == "queue_full" else (accepted, detail, state)

    demo._queue.push = push_or_busy
    return demo


