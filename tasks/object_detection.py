"""Object detection: a photo in, labelled boxes drawn on it and listed in a table."""

from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import BOX_COLUMNS, EXAMPLES, annotated_output, image_input, present_boxes, table_output, with_input


def inputs():
    return {"image": image_input("object-detection")}


def params():
    import gradio as gr

    return {
        "threshold": gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="Score threshold",
                               info="Boxes scoring less are hidden", elem_id="object-detection-threshold"),
    }


def outputs():
    return {"image": annotated_output("object-detection", "Detected objects"),
            "table": table_output("object-detection", "Boxes", BOX_COLUMNS)}


def prepare(image, threshold=0.5, limits=Limits()):
    return Call(load_image(image, limits.max_image_side), {"threshold": float(threshold)})


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def present(result, **_):
    return present_boxes(result)


def nothing_found(pipe, call, result) -> str:
    """The status line's word when no box is shown, and what to try."""
    if result["output"]:
        return ""
    return f"no box scored {call.kwargs['threshold']:.2f} or more: lower the score threshold to see weaker ones"


TASK = Task(
    name="object-detection",
    title="Object detection",
    modality="Vision",
    models=("hustvl/yolos-tiny", "PekingU/rtdetr_r50vd", "hustvl/yolos-small"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    remote=run,  # the same call goes to a remote model
    plain_call=True,  # run keeps the image it saw for the page
    note=nothing_found,
    examples=tuple({"image": path} for path in EXAMPLES),
    batchable=True,
    description="COCO-trained detectors (YOLOS, RT-DETR): what is where in the picture, as labelled boxes.",
)
