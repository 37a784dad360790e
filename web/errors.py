"""Every failure reaches the browser as one plain sentence; the traceback stays in the server log."""

import contextlib
import logging

import gradio as gr

from runtime.errors import UserError
from runtime.models import describe
from runtime.runner import Busy

log = logging.getLogger(__name__)


@contextlib.contextmanager
def said_plainly(title: str):
    """UserError and any other failure inside become a gr.Error with a sentence a person can read."""
    try:
        yield
    except (gr.Error, Busy):  # Busy: the lean route answers 503
        raise
    except UserError as error:
        raise gr.Error(str(error), print_exception=False) from error
    except Exception as error:
        log.exception("%s failed", title)
        raise gr.Error(f"The model could not process this input: {describe(error)}", print_exception=False) from error


def plain_input_errors(components) -> None:
    """Gradio decodes some uploads itself (gr.Image opens the file) and reports failures as a generic error;
    this makes such a failure say, in a sentence, what is wrong with the file. A text box refuses a JSON list or
    object, which gradio would pass on as its Python spelling ("['a', 'b']") to be read as one text."""
    for component in components:
        component.preprocess = _said_plainly(component, component.preprocess)


def _said_plainly(component, preprocess):
    choices = isinstance(component, (gr.Radio, gr.Dropdown, gr.CheckboxGroup))
    text = isinstance(component, gr.Textbox)
    if isinstance(component, gr.Image):
        sentence = "That file is not an image this app can read (try a PNG or JPEG)."
    elif isinstance(component, gr.Audio):
        sentence = "That file is not audio this app can read (try WAV, FLAC, OGG, MP3 or M4A)."
    else:
        sentence = f"The {component.label or 'input'} could not be read; check it and try again."

    def checked(payload):
        if text and isinstance(payload, (list, dict)):
            kind = "a list" if isinstance(payload, list) else "a JSON object"
            raise gr.Error(f"The {component.label or 'text'} must be a single text, not {kind}: send each text in "
                           "a request of its own.", print_exception=False)
        try:
            return preprocess(payload)
        except gr.Error:
            if not choices:
                raise
            # gradio's own wording names Python types ("<class 'str'>"): say it as a sentence instead
            listed = ", ".join(repr(value) if label == value else f"{label}: {value!r}"
                               for label, value in component.choices)
            raise gr.Error(f"{payload!r} is not one of the choices for {component.label or 'this setting'} "
                           f"({listed}).", print_exception=False) from None
        except Exception as error:
            log.info("could not read an input of %s: %s", type(component).__name__, error)
            raise gr.Error(sentence, print_exception=False) from error

    return checked
