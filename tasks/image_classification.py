"""Image classification: a photo in (upload, drag and drop, webcam or paste), labels with scores out."""

import gradio as gr

from runtime.media import load_image
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import save

from ._vision import EXAMPLES, image_input

LABELS = ("cat", "dog", "astronaut", "rocket", "coffee cup")


def inputs():
    return {"image": image_input("image-classification")}


def params():
    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="image-classification-top-k")}


def outputs():
    return {"labels": gr.Label(label="Labels", elem_id="image-classification-labels")}


def prepare(image, top_k=5, limits=Limits()):
    return Call(load_image(image, limits.max_image_side), {"top_k": int(top_k)})


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result}}


def build_tiny(folder):
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)},
    )
    processor = ViTImageProcessor(size={"height": 32, "width": 32})
    save(folder, ViTForImageClassification(config), processor)


TASK = Task(
    name="image-classification",
    title="Image classification",
    modality="Vision",
    models=("google/vit-base-patch16-224", "microsoft/resnet-50", "facebook/convnext-tiny-224"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=tuple({"image": path} for path in EXAMPLES),
    batchable=True,
    tiny=(TinyModel("tiny-vit", build_tiny),),
    description="ImageNet-style classifiers: what is in the picture, with scores.",
)
