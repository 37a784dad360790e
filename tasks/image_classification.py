"""Image classification: a photo in (upload, drag and drop, webcam or paste), labels with scores out."""

from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import EXAMPLES, image_input


def inputs():
    return {"image": image_input("image-classification")}


def params():
    import gradio as gr

    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="image-classification-top-k")}


def outputs():
    import gradio as gr

    return {"labels": gr.Label(label="Labels", elem_id="image-classification-labels")}


def prepare(image, top_k=5, limits=Limits()):
    return Call(load_image(image, limits.max_image_side), {"top_k": int(top_k)})


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result}}


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
    description="ImageNet-style classifiers: what is in the picture, with scores.",
)
