"""Errors whose message is written for the person using the app, shown to them as it is."""


class UserError(Exception):
    """Bad input, or a request this server will not serve; the message says what to do instead."""


class ModelLoadError(UserError):
    """A model could not be loaded; the message names the model and the cause."""


class RemoteError(UserError):
    """A model server (runtime/remote.py) failed or could not be reached; the message names it, never its token.
    `status` is the HTTP status the lean API answers with (502 unreachable or unreadable, 503 busy, 504 too slow)."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status
