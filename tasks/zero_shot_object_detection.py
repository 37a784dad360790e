"""Zero-shot object detection: a photo and things you name in, boxes around each of them out."""

import gradio as gr

from runtime.media import load_image
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import bpe_tokenizer, save

from ._vision import BOX_COLUMNS, annotated_output, image_input, present_boxes, split_labels, table_output, with_input


def inputs():
    return {
        "image": image_input("zero-shot-object-detection"),
        "queries": gr.Textbox(label="What to look for", placeholder="a cat, a remote control",
                              info="Separated by commas", elem_id="zero-shot-object-detection-queries"),
    }


def params():
    return {"threshold": gr.Slider(0.0, 1.0, value=0.1, step=0.01, label="Score threshold",
                                   info="Boxes scoring less are hidden", elem_id="zero-shot-object-detection-threshold")}


def outputs():
    return {"image": annotated_output("zero-shot-object-detection", "Found"),
            "table": table_output("zero-shot-object-detection", "Boxes", BOX_COLUMNS)}


def prepare(image, queries, threshold=0.1, limits=Limits()):
    labels = split_labels(queries, "thing to look for")
    return Call(load_image(image, limits.max_image_side), {"candidate_labels": labels, "threshold": float(threshold)})


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def present(result, **_):
    return present_boxes(result)


def build_tiny_owlvit(folder):
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor

    tokenizer = bpe_tokenizer(model_max_length=16)
    eos = tokenizer.eos_token_id
    text = dict(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=37, max_position_embeddings=16, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    vision = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=37)
    config = OwlViTConfig(text_config=text, vision_config=vision, projection_dim=32)  # projection == text hidden
    processor = OwlViTImageProcessor(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32})
    model = OwlViTForObjectDetection(config)
    with torch.no_grad():  # random weights saturate the box head into zero-width boxes: keep each near its patch
        model.box_head.dense2.weight.mul_(0.01)
        model.box_head.dense2.bias.zero_()
    save(folder, model, tokenizer, processor)


TASK = Task(
    name="zero-shot-object-detection",
    title="Zero-shot object detection",
    modality="Vision",
    models=("google/owlvit-base-patch32", "google/owlv2-base-patch16-ensemble", "google/owlvit-base-patch16"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    examples=(
        {"image": "assets/chelsea.jpg", "queries": "a cat's eye, a cat's ear, a nose"},
        {"image": "assets/astronaut.jpg", "queries": "a flag, a face, a helmet"},
        {"image": "assets/coffee.jpg", "queries": "a cup, a spoon, a saucer"},
    ),
    tiny=(TinyModel("tiny-owlvit", build_tiny_owlvit),),
    description="OWL-ViT and OWLv2: find things you name in words, with boxes — no training on them needed.",
)
