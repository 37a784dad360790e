"""Image captioning: a photo in, a sentence describing it out (through transformers 5's image-text-to-text)."""

import dataclasses

from runtime.errors import UserError
from runtime.media import load_image
from runtime.models import load_pipeline
from runtime.spec import Call, Limits, Task

from ._vision import EXAMPLES, with_input


def inputs():
    import gradio as gr

    from ._vision import image_input

    return {
        "image": image_input("image-to-text"),
        "prompt": gr.Textbox(label="Start of the caption (optional)", placeholder="a photograph of",
                             info="The model continues it", elem_id="image-to-text-prompt"),
    }


def params():
    import gradio as gr

    return {"max_new_tokens": gr.Slider(1, 100, value=30, step=1, label="Max new tokens",
                                        info="Longest caption, in word pieces", elem_id="image-to-text-max-new-tokens")}


def outputs():
    import gradio as gr

    return {"caption": gr.Textbox(label="Caption", lines=3, buttons=["copy"], elem_id="image-to-text-caption")}


def prepare(image, prompt="", max_new_tokens=30, limits=Limits()):
    if not 1 <= int(max_new_tokens) <= 100:  # the slider's range
        raise UserError("Max new tokens must be between 1 and 100.")
    text = (prompt or "").strip()
    return Call(load_image(image, limits.max_image_side), {"text": text, "max_new_tokens": int(max_new_tokens)})


def load(task, choice, placement):
    """transformers 5 sends image-to-text to image-text-to-text: build that pipeline for BLIP-class captioners."""
    return load_pipeline(dataclasses.replace(task, name="image-text-to-text"), choice, placement)


def run(pipe, call, progress=None):
    kwargs = dict(call.kwargs)
    output = pipe(images=call.inputs, text=kwargs.pop("text"), generate_kwargs=kwargs)
    return with_input(call.inputs, output)


def snippet(context) -> str:
    """Plain transformers: the image-text-to-text pipeline `load` builds, called as `run` calls it."""
    from runtime.snippets import literal, load_lines, render, written

    setup: list[str] = []
    kwargs = dict(context.call.kwargs)
    image, text = render(context.call.inputs, list(context.files), setup), kwargs.pop("text")
    settings = "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in kwargs.items()) + "}"
    return written([
        "# transformers 5 captions with the image-text-to-text pipeline", *load_lines(context, "image-text-to-text"),
        *setup, f"result = pipe(images={image}, text={text!r}, generate_kwargs={settings})", "print(result)"],
        setup, ["from transformers import pipeline"])


def remote(model, call, progress=None):
    """A captioner served elsewhere: the protocol carries the picture only, so no caption start (refused, not dropped)
    and no length (the server's; `length_note` says so)."""
    if call.kwargs["text"]:
        raise UserError("A captioner served elsewhere takes the picture only: clear the start of the caption, or pick "
                        "a model that runs here.")
    return with_input(call.inputs, [model(call.inputs)])


def serve(pipe, image, parameters):
    """Endpoint mode: the tab's own caption (the tab's length unless "max_new_tokens" is given), answered as the
    Inference API does: [{"generated_text"}]."""
    length = parameters.get("max_new_tokens") or (parameters.get("generate_kwargs") or {}).get("max_new_tokens", 30)
    return [{"generated_text": present(run(pipe, prepare(image, max_new_tokens=length)))["caption"]}]


def length_note(pipe, call, result) -> str:
    """A remote captioner's caption is as long as its server makes it: the protocol has no length to send."""
    return "the caption's length is the model server's" if getattr(pipe, "remote", False) else ""


def present(result, **_):
    output = result["output"]
    first = output[0] if isinstance(output, list) else output
    first = first[0] if isinstance(first, list) else first
    return {"caption": str(first["generated_text"]).strip()}


TASK = Task(
    name="image-to-text",
    title="Image captioning",
    modality="Vision",
    models=("Salesforce/blip-image-captioning-base", "Salesforce/blip-image-captioning-large"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=load,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    note=length_note,
    own_pipeline=True,  # no image_to_text.py in transformers 5: `load` builds the image-text-to-text pipeline
    examples=tuple({"image": path, "prompt": ""} for path in EXAMPLES[:3])
    + ({"image": "assets/rocket.jpg", "prompt": "a photograph of"},),
    description="BLIP captioners: a sentence saying what the picture shows; give it the start of a caption to steer it.",
)
