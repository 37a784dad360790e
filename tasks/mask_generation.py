"""Automatic mask generation (SAM-class): a photo in, every object-like region the model finds overlaid as a mask."""

import numpy as np

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import EXAMPLES, annotated, annotated_output, image_input, mask_array, table_output, with_input

COLUMNS = ["mask", "score", "area %"]
MAX_MASKS = 64  # drawing more is slow and unreadable; the JSON still counts them all


def inputs():
    return {"image": image_input("mask-generation")}


def params():
    import gradio as gr

    return {
        "points_per_batch": gr.Slider(8, 256, value=64, step=8, label="Points per batch",
                  info="Prompt points the model takes at once: more is faster but needs more memory",
                  elem_id="mask-generation-points-per-batch"),
        "points_per_side": gr.Slider(4, 64, value=16, step=1, label="Points per side",
                  info="A grid of this many points per side prompts the model (more finds smaller things, slower)",
                  elem_id="mask-generation-points-per-side"),
        "pred_iou_thresh": gr.Slider(0.0, 1.0, value=0.88, step=0.01, label="Predicted quality threshold",
                  info="Masks the model itself rates lower are dropped", elem_id="mask-generation-iou-threshold"),
        "stability_score_thresh": gr.Slider(0.0, 1.0, value=0.95, step=0.01, label="Stability threshold",
                  info="Masks that change shape when the cut-off moves are dropped",
                  elem_id="mask-generation-stability-threshold"),
    }


def outputs():
    return {"image": annotated_output("mask-generation", "Masks"),
            "table": table_output("mask-generation", "Masks", COLUMNS)}


def prepare(image, points_per_batch=64, points_per_side=16, pred_iou_thresh=0.88, stability_score_thresh=0.95,
            limits=Limits()):
    if not 1 <= int(points_per_batch) <= 1024 or not 1 <= int(points_per_side) <= 128:
        raise UserError("Points per batch must be 1–1024 and points per side 1–128.")
    return Call(load_image(image, limits.max_image_side), {
        "points_per_batch": int(points_per_batch), "points_per_crop": int(points_per_side),
        "pred_iou_thresh": float(pred_iou_thresh), "stability_score_thresh": float(stability_score_thresh),
    })


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def present(result, **_):
    import pandas as pd

    image, output = result["input"], result["output"]
    pixels = image.size[0] * image.size[1]
    scores = [float(s) for s in output["scores"]]
    ranked = sorted(zip(scores, output["masks"]), key=lambda pair: -pair[0])[:MAX_MASKS]
    masks, rows = {}, []
    for number, (score, mask) in enumerate(ranked, 1):
        masks[f"mask {number}"] = mask_array(mask)
        rows.append([f"mask {number}", round(score, 4), round(100 * float(np.count_nonzero(mask)) / pixels, 2)])
    return {"image": annotated(image, masks), "table": pd.DataFrame(rows, columns=COLUMNS)}


def nothing_found(pipe, call, result) -> str:
    """The status line's word when no mask is shown, and what to try."""
    if len(result["output"]["scores"]):
        return ""
    return (f"no mask passed the quality ({call.kwargs['pred_iou_thresh']:.2f}) and stability "
            f"({call.kwargs['stability_score_thresh']:.2f}) thresholds: lower them, or use more points per side")


TASK = Task(
    name="mask-generation",
    title="Mask generation (SAM)",
    modality="Vision",
    models=("Zigeng/SlimSAM-uniform-77", "facebook/sam-vit-base", "facebook/sam-vit-large"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    plain_call=True,  # run keeps the image it saw for the page
    note=nothing_found,
    requires=("torchvision",),  # SAM's image processor needs it
    examples=tuple({"image": path} for path in EXAMPLES),
    description="Segment Anything: every object-like region of the picture as a mask, no labels needed.",
)
