"""Image segmentation: a photo in, its regions (semantic, instance or panoptic) overlaid as labelled masks."""

import numpy as np

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import (
    EXAMPLES, annotated, annotated_output, distinct, image_input, mask_array, table_output, with_input,
)

SUBTASKS = ("auto", "semantic", "instance", "panoptic")
COLUMNS = ["label", "score", "area %"]


def inputs():
    return {"image": image_input("image-segmentation")}


def params():
    import gradio as gr

    return {
        "subtask": gr.Radio(list(SUBTASKS), value="auto", label="Kind of segmentation",
                            info="auto: panoptic, else instance, else semantic — whichever the model does",
                            elem_id="image-segmentation-subtask"),
        "threshold": gr.Slider(0.0, 1.0, value=0.9, step=0.01, label="Score threshold",
                               info="instance / panoptic: segments scoring less are dropped",
                               elem_id="image-segmentation-threshold"),
        "mask_threshold": gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="Mask threshold",
                                    info="instance / panoptic: pixel probability needed to belong to a mask",
                                    elem_id="image-segmentation-mask-threshold"),
    }


def outputs():
    return {"image": annotated_output("image-segmentation", "Segments"),
            "table": table_output("image-segmentation", "Segments", COLUMNS)}


def prepare(image, subtask="auto", threshold=0.9, mask_threshold=0.5, limits=Limits()):
    if subtask not in SUBTASKS:
        raise UserError(f"Pick a kind of segmentation: {', '.join(SUBTASKS)}.")
    kwargs = {"threshold": float(threshold), "mask_threshold": float(mask_threshold)}
    if subtask != "auto":
        kwargs["subtask"] = subtask
    return Call(load_image(image, limits.max_image_side), kwargs)


def supported(pipe) -> list[str]:
    """The kinds of segmentation this model's image processor can post-process."""
    return [kind for kind in SUBTASKS[1:] if hasattr(pipe.image_processor, f"post_process_{kind}_segmentation")]


def run(pipe, call, progress=None):
    kinds = supported(pipe)
    subtask = call.kwargs.get("subtask")
    if subtask and subtask not in kinds:
        raise UserError(f"This model does not do {subtask} segmentation; it does: {', '.join(kinds)} (or pick auto).")
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def remote(model, call, progress=None):
    """A model served elsewhere: the same call; its server refuses a kind of segmentation its model lacks."""
    return with_input(call.inputs, model(call.inputs, **call.kwargs))


def present(result, **_):
    import pandas as pd

    image, segments = result["input"], result["output"]
    pixels = image.size[0] * image.size[1]
    masks, rows = {}, []
    for label, segment in zip(distinct(s["label"] for s in segments), segments):  # instances: "cat", "cat 2"
        masks[label] = mask_array(segment["mask"])
        score = None if segment["score"] is None else round(float(segment["score"]), 4)  # semantic: no score
        rows.append([label, score, round(100 * float(np.count_nonzero(masks[label])) / pixels, 2)])
    return {"image": annotated(image, masks), "table": pd.DataFrame(rows, columns=COLUMNS)}


def nothing_found(pipe, call, result) -> str:
    """The status line's word when no segment is shown, and what to try."""
    if result["output"]:
        return ""
    return f"no segment scored {call.kwargs['threshold']:.2f} or more: lower the score threshold"


TASK = Task(
    name="image-segmentation",
    title="Image segmentation",
    modality="Vision",
    models=(
        "nvidia/segformer-b0-finetuned-ade-512-512",
        "facebook/mask2former-swin-tiny-coco-panoptic",
        "facebook/mask2former-swin-tiny-coco-instance",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    remote=remote,  # endpoint mode calls the pipeline as run does (serve: None), batched with the tabs' calls
    plain_call=True,  # run keeps the image it saw for the page
    note=nothing_found,
    examples=tuple({"image": path} for path in EXAMPLES),
    batchable=True,
    description="SegFormer (semantic) and Mask2Former (instance, panoptic): every region of the picture, labelled.",
)
