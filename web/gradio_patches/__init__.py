"""Every adjustment this app makes to gradio's internals, in one place.

Each is a `Patch`: what it buys (measured, README "Performance"), and a shape check that reads the gradio it meets.
If gradio is outside the version range they were checked on, or a patch's shape check fails, that patch is off: one
log line, and gradio works as gradio does (never a crash, never a wrong page). `PLAYGROUND_GRADIO_PATCHES=off`
turns all of them off, `=name,name` those named. `python -m web.gradio_patches` lists them, and exits 1 if one
turned itself off (CI runs it).
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

log = logging.getLogger(__name__)
TESTED = ("6.31.0", "6.32.0")  # the gradio versions they were checked on: from the first, below the second


@dataclass(frozen=True)
class Patch:
    name: str
    buys: str  # what it is for, as measured
    shape_ok: Callable[[], bool]  # gradio still has the shape the patch was written for
    install: Callable[[], object] | None = None  # module-wide patches: put in place by apply(); the others are
    # applied where the app is built or served, by functions that ask on(name) first


def _patches() -> dict[str, Patch]:
    from . import assets, cancel, processing, queue, refusals, sessions, startup

    return {p.name: p for p in (
        Patch("deferred_render", "the UI built once: no config render or app build inside gr.Blocks()",
              startup.shape_ok),
        Patch("render_once", "launch() renders the blocks' config once, not twice", startup.render_once_shape_ok),
        Patch("schemas_once", "one JSON schema per component data model, not per component", startup.schemas_shape_ok,
              startup.schemas_once),
        Patch("signatures_once", "each function's signature read once, not per block and render",
              startup.signatures_shape_ok, startup.signatures_once),
        Patch("trusted_assets", "no ffprobe of the app's own example files at start", assets.shape_ok,
              assets.trust_example_assets),
        Patch("lean_sessions", "API calls without a session render no config (CPU and memory per call)",
              sessions.shape_ok, sessions.lean_sessions),
        Patch("quiet_queue", "gradio's queue waits for work instead of polling every 1 and 10 ms", queue.quiet_shape_ok),
        Patch("queue_limit", "the queue's limit set without rebuilding the app, and said politely when full",
              queue.limit_shape_ok),
        Patch("plain_refusals", "gradio's own refusals (values missing, a URL or a file not uploaded) said in a "
              "sentence; no URL fetched", refusals.shape_ok),
        Patch("inline_widgets", "text and number widgets' pre/postprocessing without a thread hop each (CPU per "
              "request)", processing.inline_shape_ok, processing.inline_processing),
        Patch("safe_cancel", "a cancelled job gives back its concurrency slot and closes its stream (gradio's could "
              "keep them for good)", cancel.shape_ok, cancel.safe_cancel),
    )}


_why_off: dict[str, str | None] = {}


def why_off(name: str) -> str | None:
    """None if the patch is on here; else why it is off (checked once per process)."""
    if name not in _why_off:
        patch = PATCHES[name]  # KeyError for a name that is no patch: a typo must not pass as "off"
        asked = os.environ.get("PLAYGROUND_GRADIO_PATCHES", "").replace(" ", "")
        installed = version("gradio")
        if asked == "off" or name in asked.split(","):
            why = "turned off by PLAYGROUND_GRADIO_PATCHES"
        elif not _in_range(installed):
            why = f"gradio {installed} is outside the range it was checked on ({TESTED[0]} up to {TESTED[1]})"
        else:
            try:
                why = None if patch.shape_ok() else f"gradio {installed} has changed the shape it relies on"
            except Exception as error:  # a shape check must never stop the app
                why = f"its shape check failed ({type(error).__name__}: {error})"
        if why and "PLAYGROUND_GRADIO_PATCHES" not in why:
            log.warning("gradio adjustment %s is off: %s; gradio works as gradio does (web/gradio_patches)",
                        name, why)
        _why_off[name] = why
    return _why_off[name]


def on(name: str) -> bool:
    return why_off(name) is None


def apply() -> dict[str, str | None]:
    """Puts every module-wide patch that is on in place (again: nothing); {name: why off, or None} for all."""
    for patch in PATCHES.values():
        if patch.install is not None and on(patch.name):
            patch.install()
    return {name: why_off(name) for name in PATCHES}


def _in_range(installed: str) -> bool:
    def key(v: str) -> tuple:
        return tuple(int(part) if part.isdigit() else 0 for part in v.split(".")[:3])

    return key(TESTED[0]) <= key(installed) < key(TESTED[1])


PATCHES = _patches()


def main() -> int:
    status = {name: why_off(name) for name in PATCHES}
    for name, why in status.items():
        print(f"{'on ' if why is None else 'OFF'}  {name:16} {PATCHES[name].buys if why is None else why}")
    off = [name for name, why in status.items() if why]
    print(f"{len(status) - len(off)} on, {len(off)} off (gradio {version('gradio')})")
    return 1 if off else 0

