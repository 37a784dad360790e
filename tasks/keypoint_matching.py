"""Keypoint matching: two photos of the same scene in, the points that correspond between them drawn as lines."""

import numpy as np

from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import with_input

COLUMNS = ["score", "x (first)", "y (first)", "x (second)", "y (second)"]
MAX_LINES = 200  # more lines hide the pictures


def inputs():
    from ._vision import ImageInput  # a gr.Image

    return {
        "first": ImageInput(label="First image", type="filepath", image_mode=None,
                            sources=["upload", "webcam", "clipboard"], elem_id="keypoint-matching-image"),
        "second": ImageInput(label="Second image", type="filepath", image_mode=None,
                             sources=["upload", "webcam", "clipboard"], elem_id="keypoint-matching-image-2"),
    }


def params():
    import gradio as gr

    return {"threshold": gr.Slider(0.0, 1.0, value=0.2, step=0.01, label="Match score threshold",
                                   info="Matches the model is less sure of are hidden",
                                   elem_id="keypoint-matching-threshold")}


def outputs():
    import gradio as gr

    from ._vision import table_output

    return {"image": gr.Image(label="Matches", type="pil", format="jpeg", elem_id="keypoint-matching-matches"),
            "table": table_output("keypoint-matching", "Matches", COLUMNS)}


def prepare(first, second, threshold=0.2, limits=Limits()):
    images = [load_image(first, limits.max_image_side), load_image(second, limits.max_image_side)]
    return Call(images, {"threshold": float(threshold)})


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def side_by_side(first, second, matches):
    """Both pictures next to each other (same height), a line from each point to its match."""
    from PIL import Image, ImageDraw

    height = max(first.height, second.height)
    canvas = Image.new("RGB", (first.width + second.width, height), "white")
    canvas.paste(first, (0, 0))
    canvas.paste(second, (first.width, 0))
    draw = ImageDraw.Draw(canvas)
    hues = np.linspace(0, 1, max(len(matches), 1), endpoint=False)
    for hue, match in zip(hues, matches[:MAX_LINES]):
        a, b = match["keypoint_image_0"], match["keypoint_image_1"]
        colour = tuple(int(255 * c) for c in _hsv(hue))
        start, end = (a["x"], a["y"]), (b["x"] + first.width, b["y"])
        draw.line([start, end], fill=colour, width=2)
        for x, y in (start, end):
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], outline=colour, width=2)
    return canvas


def _hsv(hue):
    import colorsys

    return colorsys.hsv_to_rgb(hue, 0.85, 0.95)


def present(result, **_):
    import pandas as pd

    (first, second), matches = result["input"], result["output"]
    rows = [[round(m["score"], 4), round(m["keypoint_image_0"]["x"], 1), round(m["keypoint_image_0"]["y"], 1),
             round(m["keypoint_image_1"]["x"], 1), round(m["keypoint_image_1"]["y"], 1)] for m in matches]
    return {"image": side_by_side(first, second, matches), "table": pd.DataFrame(rows, columns=COLUMNS)}


def nothing_found(pipe, call, result) -> str:
    """The status line's word when no match is shown, and what to try."""
    if result["output"]:
        return ""
    return (f"no match scored {call.kwargs['threshold']:.2f} or more: lower the match threshold, or try two photos "
            "of the same scene")


TASK = Task(
    name="keypoint-matching",
    title="Keypoint matching",
    modality="Vision",
    models=("magic-leap-community/superglue_outdoor", "ETH-CVG/lightglue_superpoint", "zju-community/efficientloftr"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    plain_call=True,  # run keeps the image it saw for the page
    note=nothing_found,
    examples=(
        {"first": "assets/astronaut.jpg", "second": "assets/astronaut.jpg"},
        {"first": "assets/rocket.jpg", "second": "assets/astronaut.jpg"},
    ),
    description="SuperGlue, LightGlue and EfficientLoFTR: which points of one photo are the same points in another.",
)
