"""Image captioning: a photo in, a sentence describing it out (through transformers 5's image-text-to-text)."""

import dataclasses

import gradio as gr

from runtime.errors import UserError
from runtime.media import load_image
from runtime.models import load_pipeline
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import save, wordpiece_tokenizer

from ._vision import EXAMPLES, image_input, with_input


def inputs():
    return {
        "image": image_input("image-to-text"),
        "prompt": gr.Textbox(label="Start of the caption (optional)", placeholder="a photograph of",
                             info="The model continues it", elem_id="image-to-text-prompt"),
    }


def params():
    return {"max_new_tokens": gr.Slider(1, 100, value=30, step=1, label="Max new tokens",
                                        info="Longest caption, in word pieces", elem_id="image-to-text-max-new-tokens")}


def outputs():
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


def present(result, **_):
    output = result["output"]
    first = output[0] if isinstance(output, list) else output
    first = first[0] if isinstance(first, list) else first
    return {"caption": str(first["generated_text"]).strip()}


def build_tiny_blip(folder):
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    tokenizer = wordpiece_tokenizer(model_max_length=64)
    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in
           (("bos", "[CLS]"), ("sep", "[SEP]"), ("pad", "[PAD]"))}
    text = dict(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=37, max_position_embeddings=64, encoder_hidden_size=32,
                bos_token_id=ids["bos"], sep_token_id=ids["sep"], pad_token_id=ids["pad"], eos_token_id=ids["sep"])
    vision = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=37)
    config = BlipConfig(text_config=text, vision_config=vision, projection_dim=32)
    model = BlipForConditionalGeneration(config)
    model.generation_config.max_new_tokens = 8  # random weights never stop on their own
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    save(folder, model, processor)


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
    own_pipeline=True,  # no image_to_text.py in transformers 5: `load` builds the image-text-to-text pipeline
    examples=tuple({"image": path, "prompt": ""} for path in EXAMPLES[:3])
    + ({"image": "assets/rocket.jpg", "prompt": "a photograph of"},),
    tiny=(TinyModel("tiny-blip", build_tiny_blip),),
    description="BLIP captioners: a sentence saying what the picture shows; give it the start of a caption to steer it.",
)
