"""What the vision tabs share: the image input, boxes and masks drawn over the picture in a colour per label."""

import gradio as gr
import numpy as np

from runtime.errors import UserError

EXAMPLES = ("assets/chelsea.jpg", "assets/coffee.jpg", "assets/astronaut.jpg", "assets/rocket.jpg")
# Tableau-like colours: distinct on photos and for most colour-blind viewers
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
BOX_COLUMNS = ["label", "score", "xmin", "ymin", "xmax", "ymax"]


def image_input(task: str, label: str = "Image") -> gr.Image:
    return gr.Image(label=label, type="filepath", sources=["upload", "webcam", "clipboard"], elem_id=f"{task}-image")


def annotated_output(task: str, label: str) -> gr.AnnotatedImage:
    return gr.AnnotatedImage(label=label, show_legend=True, elem_id=f"{task}-annotated")


def table_output(task: str, label: str, headers: list[str]) -> gr.Dataframe:
    return gr.Dataframe(headers=headers, label=label, interactive=False, elem_id=f"{task}-table")


def with_input(image, output) -> dict:
    """A result that keeps the image the model saw (after EXIF and downscaling) beside what the pipeline said."""
    return {"input": image, "output": output}


def colours(labels) -> dict[str, str]:
    """One palette colour per distinct label, in order of first appearance."""
    distinct = list(dict.fromkeys(labels))
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(distinct)}


def annotated(image, annotations: list[tuple]) -> gr.AnnotatedImage:
    """An AnnotatedImage update: the picture, its boxes or masks, and a colour per label for the legend."""
    return gr.AnnotatedImage(value=(image, annotations), color_map=colours(label for _, label in annotations))


def clip_box(box: dict, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(xmin, ymin, xmax, ymax) inside an image of size (width, height); None if nothing of it is left."""
    width, height = size
    x1, x2 = sorted((min(max(int(box["xmin"]), 0), width), min(max(int(box["xmax"]), 0), width)))
    y1, y2 = sorted((min(max(int(box["ymin"]), 0), height), min(max(int(box["ymax"]), 0), height)))
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def present_boxes(result: dict):
    """Detections -> (picture with labelled boxes, table of label / score / box), boxes clipped to the picture."""
    import pandas as pd

    image, detections = result["input"], result["output"]
    rows, annotations = [], []
    for found in sorted(detections, key=lambda d: -d["score"]):
        box = clip_box(found["box"], image.size)
        if box is None:
            continue
        label = f"{found['label']}"
        annotations.append((box, label))
        rows.append([label, round(float(found["score"]), 4), *box])
    return annotated(image, annotations), pd.DataFrame(rows, columns=BOX_COLUMNS)


def split_labels(text: str, what: str = "label") -> list[str]:
    """'cat, dog ,, a rocket' -> ['cat', 'dog', 'a rocket'] (duplicates dropped)."""
    labels = list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
    if not labels:
        raise UserError(f"Type at least one {what}, separated by commas (e.g. cat, dog, rocket).")
    return labels


def mask_array(mask) -> np.ndarray:
    """A PIL 'L' mask or a bool array -> float 0..1 array, the shape AnnotatedImage takes."""
    return (np.asarray(mask) > 0).astype(np.float32)
