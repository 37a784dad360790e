"""gradio's own refusals of a request (before the app's code sees it) said in a sentence, not `{"error": null}`.

gradio's `Blocks.preprocess_data` checks a request's values before any handler runs: too few values
(`Blocks.validate_inputs`, a ValueError), a file path the caller did not upload (`processing_utils._check_allowed`,
an InvalidPathError), and it downloads a URL given as a file (`Block.async_move_resource_to_block_cache`, which refuses
loopback and private addresses and fetches public ones). None of these is a `gr.Error`, so the queue answers them
with `utils.error_payload(error, show_error)`, `{"error": null}`; gradio_client calls that "has not enabled verbose
error reporting". `launch(show_error=True)`, the public way, would send the text of every exception instead: gradio's
wording for developers ("Cannot move /etc/passwd to the gradio cache dir ...") and whatever else anything raises.

`plain_refusals(demo)` wraps the demo's `preprocess_data`: a request missing values, or giving a URL as a file, is
refused with a sentence before gradio looks at it (so no URL is fetched: the lean API fetches none either), and a path
the caller did not upload is refused by gradio's own check, then said as a sentence. Everything else is gradio's.
"""

import inspect
import logging

log = logging.getLogger(__name__)
NOT_UPLOADED = "That file was not uploaded to this server: upload it first (gradio_client's handle_file does this)."
NO_URLS = "This server does not fetch files from URLs: upload the file instead."


def shape_ok() -> bool:
    """process_api preprocesses through `self.preprocess_data(block_fn, inputs, state, explicit_call)`, which counts the
    values, then moves each file to the cache (a caller's: uploads only, refused with InvalidPathError)."""
    from gradio import blocks, processing_utils
    from gradio.block_function import BlockFunction

    preprocess = inspect.getsource(blocks.Blocks.preprocess_data)
    return (list(inspect.signature(blocks.Blocks.preprocess_data).parameters)
            == ["self", "block_fn", "inputs", "state", "explicit_call"]
            and "await self.preprocess_data(" in inspect.getsource(blocks.Blocks.process_api)
            and "self.validate_inputs(block_fn, inputs)" in preprocess
            and "check_in_upload_folder=not explicit_call" in preprocess
            and "raise InvalidPathError" in inspect.getsource(processing_utils._check_allowed)
            and "input_parameter_names" in inspect.signature(BlockFunction.__init__).parameters)


def plain_refusals(demo):
    """The demo's refusals of missing values, URLs and files not uploaded said as sentences (see above)."""
    from gradio.exceptions import Error, InvalidPathError
    from gradio_client.utils import is_file_obj_with_meta, is_http_url_like, traverse

    from . import on

    if getattr(demo, "plain_refusals", False) or not on("plain_refusals"):
        return demo
    preprocess = demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, explicit_call=False):
        missing = [_name(block_fn, i) for i in range(len(inputs), len(block_fn.inputs))]
        if missing:
            raise Error(f"The request is missing values for: {', '.join(missing)}.", print_exception=False)
        if not explicit_call:  # a caller's values (the app's own calls may name files of its own)
            files = []
            traverse(inputs, files.append, is_file_obj_with_meta)
            if any(is_http_url_like(str(file.get("path"))) for file in files):
                raise Error(NO_URLS, print_exception=False)
        try:
            return await preprocess(block_fn, inputs, state, explicit_call)
        except InvalidPathError as error:
            log.info("refused a file that was not uploaded: %s", error)
            raise Error(NOT_UPLOADED, print_exception=False) from error

    demo.preprocess_data, demo.plain_refusals = preprocess_data, True
    return demo


def _name(block_fn, index: int) -> str:
    """The event's input `index` as the API names it (gradio's `input_parameter_names`), else its label."""
    names = block_fn.input_parameter_names or []
    name = names[index] if index < len(names) else None
    return name or getattr(block_fn.inputs[index], "label", None) or f"value {index + 1}"
