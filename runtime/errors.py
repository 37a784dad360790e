"""Errors whose message is written for the person using the app, shown to them as it is."""


class UserError(Exception):
    """Bad input, or a request this server will not serve; the message says what to do instead."""


class ModelLoadError(UserError):
    """A model could not be loaded; the message names the model and the cause."""
