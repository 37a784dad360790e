"""Zero-shot object detection: a photo and things you name in, boxes around each of them out."""

from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import BOX_COLUMNS, annotated_output, image_input, present_boxes, split_labels, table_output, with_input


def inputs():
    import gradio as gr

    return {
        "image": image_input("zero-shot-object-detection"),
        "queries": gr.Textbox(label="What to look for", placeholder="a cat, a remote control",
                              info="Separated by commas", elem_id="zero-shot-object-detection-queries"),
    }


def params():
    import gradio as gr

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


def nothing_found(pipe, call, result) -> str:
    """The status line's word when no box is shown, and what to try."""
    if result["output"]:
        return ""
    return (f"no box matched {', '.join(call.kwargs['candidate_labels'])} with a score of "
            f"{call.kwargs['threshold']:.2f} or more: lower the score threshold, or describe the objects differently")


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
    plain_call=True,  # run keeps the image it saw for the page
    note=nothing_found,
    examples=(
        {"image": "assets/chelsea.jpg", "queries": "a cat's eye, a cat's ear, a nose"},
        {"image": "assets/astronaut.jpg", "queries": "a flag, a face, a helmet"},
        {"image": "assets/coffee.jpg", "queries": "a cup, a spoon, a saucer"},
    ),
    description="OWL-ViT and OWLv2: find things you name in words, with boxes — no training on them needed.",
)
