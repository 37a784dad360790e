"""Gradio sessions without the per-call cost of rendering the whole app's config (see `lean_sessions`)."""

import inspect
import logging
import re
import types

log = logging.getLogger(__name__)


class _ConfigsOnDemand(dict):
    """`SessionState.config_values`, each block's config rendered when first asked for instead of all at once.

    The blocks it covers are those of the session's copy of the blocks that the app has (`app_blocks`), as in
    gradio's own `SessionState.__init__`; it keeps no list of its own, so an unused session costs no memory here."""

    def __init__(self, blocks_config, app_blocks: dict):
        super().__init__()
        self._blocks_config, self._app_blocks = blocks_config, app_blocks
        self.values_to_set: dict = {}  # values given before the block's config was rendered: set when it is

    def set_value(self, key, value) -> None:
        """`SessionState._update_value_in_config`: a block's latest value, kept for its config."""
        if super().__contains__(key):
            if "props" in self[key]:
                self[key]["props"]["value"] = value
        elif self._covers(key):
            self.values_to_set[key] = value

    def _covers(self, key) -> bool:
        return key in self._app_blocks and key in self._blocks_config.blocks

    def __missing__(self, key):
        if not self._covers(key):
            raise KeyError(key)
        value = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        if key in self.values_to_set and "props" in value:
            value["props"]["value"] = self.values_to_set.pop(key)
        super().__setitem__(key, value)
        return value

    def __setitem__(self, key, value):  # gradio re-rendered the block: a value given earlier is superseded
        self.values_to_set.pop(key, None)
        super().__setitem__(key, value)

    def __contains__(self, key):
        return super().__contains__(key) or self._covers(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def _all(self):
        for key in self._blocks_config.blocks:
            if self._covers(key) and not super().__contains__(key):
                self[key]

    def __iter__(self):
        self._all()
        return super().__iter__()

    def __len__(self):
        self._all()
        return super().__len__()

    def items(self):
        self._all()
        return super().items()

    def keys(self):
        self._all()
        return super().keys()

    def values(self):
        self._all()
        return super().values()


def shape_ok(session: type | None = None) -> bool:
    """gradio's SessionState.__init__ reads only `blocks.default_config` and `blocks.blocks`, and renders every
    block's config into `config_values`; _update_value_in_config writes a block's props value."""
    if session is None:
        from gradio.state_holder import SessionState as session
    init, update = session.__init__, session._update_value_in_config
    init, update = getattr(init, "original", init), getattr(update, "original", update)
    try:
        init_source, update_source = inspect.getsource(init), inspect.getsource(update)
    except (OSError, TypeError):
        return False
    return (set(re.findall(r"(?<![\w.])blocks\.(\w+)", init_source)) == {"default_config", "blocks"}
            and "config_values = {" in init_source and '["props"]["value"] = value' in update_source)


def lean_sessions(session: type | None = None) -> bool:
    """Gradio builds a session for every API call that brings none (`/gradio_api/call`, `/gradio_api/run`), and its
    `SessionState.__init__` renders the config of every block of the app up front, for deep links: here 1,248
    blocks, ~65 ms of CPU on the server's event loop per call, and ~2 MB kept per call (up to 10,000 sessions: an
    API client could fill 20 GB). Here each block's config is rendered when first asked for; deep links, which read
    them all, get the same configs. Returns False, changing nothing, if gradio's SessionState has another shape."""
    if session is None:
        from gradio.state_holder import SessionState as session
    init, update = session.__init__, session._update_value_in_config
    if getattr(init, "lean", False):
        return True
    if not shape_ok(session):
        log.warning("gradio's SessionState has changed; API sessions stay as gradio builds them")
        return False

    def lean_init(self, blocks):
        # gradio's own __init__, shown no blocks to render (it reads only these two attributes, checked above)...
        init(self, types.SimpleNamespace(default_config=blocks.default_config, blocks={}))
        # ...then the same configs it would have rendered, on demand
        self.config_values = _ConfigsOnDemand(self.blocks_config, blocks.blocks)

    def lean_update(self, key, value):
        if isinstance(self.config_values, _ConfigsOnDemand):
            self.config_values.set_value(key, value)
        else:
            update(self, key, value)

    lean_init.lean, lean_init.original, lean_update.original = True, init, update
    session.__init__, session._update_value_in_config = lean_init, lean_update
    return True
