"""Depth estimation: a photo in, how far away each pixel is, as a coloured depth map."""

import numpy as np

from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import EXAMPLES, image_input, with_input

# anchors of a perceptually ordered dark-to-bright map (close to matplotlib's "inferno"); no matplotlib needed
ANCHORS = np.array([(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21),
                    (250, 193, 39), (252, 255, 164)], dtype=np.float32)


def inputs():
    return {"image": image_input("depth-estimation")}


def outputs():
    import gradio as gr

    return {"depth_map": gr.Image(label="Depth map (bright = near for relative-depth models)", type="pil",
                                  format="png", elem_id="depth-estimation-depth")}


def prepare(image, limits=Limits()):
    return Call(load_image(image, limits.max_image_side))


MIN_SIDE = 2  # transformers squeezes a 1-pixel side out of the depth map, and its pipeline then fails on a 1×1 image


def run(pipe, call, progress=None):
    from PIL import Image

    image = call.inputs
    if min(image.size) < MIN_SIDE:  # the model resizes to its own size anyway: only the map's size changes
        image = image.resize((max(image.width, MIN_SIDE), max(image.height, MIN_SIDE)), Image.Resampling.NEAREST)
    return with_input(image, pipe(image, **call.kwargs))


def colourise(depth: np.ndarray):
    """A 2-D depth array -> RGB PIL image, its range spread over the colour map."""
    from PIL import Image

    depth = np.nan_to_num(np.asarray(depth, dtype=np.float32))
    span = float(depth.max() - depth.min())
    unit = (depth - depth.min()) / span if span > 0 else np.zeros_like(depth)
    position = unit * (len(ANCHORS) - 1)
    low = np.clip(np.floor(position).astype(int), 0, len(ANCHORS) - 2)
    weight = (position - low)[..., None]
    rgb = ANCHORS[low] * (1 - weight) + ANCHORS[low + 1] * weight
    return Image.fromarray(rgb.round().astype(np.uint8), mode="RGB")


def depth_array(result) -> np.ndarray:
    depth = result["output"]["predicted_depth"]
    depth = depth.detach().float().cpu().numpy() if hasattr(depth, "detach") else np.asarray(depth)
    return depth.reshape(depth.shape[-2:])  # some models keep a leading batch / channel axis


def present(result, **_):
    return {"depth_map": colourise(depth_array(result))}


TASK = Task(
    name="depth-estimation",
    title="Depth estimation",
    modality="Vision",
    models=("depth-anything/Depth-Anything-V2-Small-hf", "Intel/dpt-hybrid-midas", "Intel/dpt-large"),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    plain_call=True,  # run keeps the image it saw for the page (and widens a 1-pixel one)
    examples=tuple({"image": path} for path in EXAMPLES),
    description="Depth Anything and DPT: how near each part of the picture is. The raw depth range is in the JSON.",
)
