"""What the vision tabs share: the image input, boxes and masks drawn over the picture in a colour per label.

Importing it imports no gradio: the widget builders import it when called, and `ImageInput` (a gr.Image subclass)
is made on first use (`from tasks._vision import ImageInput` inside a widget builder)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from runtime.errors import UserError

if TYPE_CHECKING:
    import gradio as gr

EXAMPLES = ("assets/chelsea.jpg", "assets/coffee.jpg", "assets/astronaut.jpg", "assets/rocket.jpg")
MASK_OPACITY = 0.6  # the photo shows through the masks
BOX_COLUMNS = ["label", "score", "xmin", "ymin", "xmax", "ymax"]


@functools.cache
def image_input_class() -> type[gr.Image]:
    """The ImageInput class, made (and gradio imported) on first use."""
    import gradio as gr

    class ImageInput(gr.Image):
        """gr.Image that hands every uploaded file to the task as is: runtime.media.load_image then converts it
        (EXIF, colour mode, size) or says plainly what is wrong with it — gr.Image alone fails on a non-image with
        a generic error before the task sees it."""

        is_template = True  # the browser shows it as a plain gr.Image

        def preprocess(self, payload):
            try:
                return super().preprocess(payload)
            except (OSError, ValueError, SyntaxError):  # PIL could not open it: load_image gives the message
                return str(payload.path) if payload is not None and payload.path else None

    return ImageInput


def __getattr__(name: str):
    if name == "ImageInput":  # made lazily, so that importing this module imports no gradio
        return image_input_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def image_input(task: str, label: str = "Image") -> gr.Image:
    return image_input_class()(label=label, type="filepath", image_mode=None,
                               sources=["upload", "webcam", "clipboard"], elem_id=f"{task}-image")


def annotated_output(task: str, label: str) -> gr.AnnotatedImage:
    import gradio as gr

    return gr.AnnotatedImage(label=label, show_legend=True, elem_id=f"{task}-annotated")


def table_output(task: str, label: str, headers: list[str]) -> gr.Dataframe:
    import gradio as gr

    return gr.Dataframe(headers=headers, label=label, interactive=False, elem_id=f"{task}-table")


def with_input(image, output) -> dict:
    """A result that keeps the image the model saw (after EXIF and downscaling) beside what the pipeline said."""
    return {"input": image, "output": output}


def annotated(image, masks: dict[str, np.ndarray]) -> tuple:
    """An AnnotatedImage value with one annotation per label: the browser then gives each label its own colour
    and one legend entry (hover it to highlight that label's boxes or masks)."""
    return image, [(mask, label) for label, mask in masks.items()]


def outline(mask: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Draws a box into a 0..1 mask: a light fill and a solid border, as AnnotatedImage draws its own boxes."""
    x1, y1, x2, y2 = box
    border = max(2, round(min(mask.shape) / 150))  # visible on large photos too
    mask[y1:y2, x1:x2] = np.maximum(mask[y1:y2, x1:x2], 0.35)
    for rows, cols in ((slice(y1, y2), slice(x1, x1 + border)), (slice(y1, y2), slice(max(x2 - border, x1), x2)),
                       (slice(y1, y1 + border), slice(x1, x2)), (slice(max(y2 - border, y1), y2), slice(x1, x2))):
        mask[rows, cols] = 1.0


def clip_box(box: dict, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(xmin, ymin, xmax, ymax) inside an image of size (width, height); None if nothing of it is left."""
    width, height = size
    x1, x2 = sorted((min(max(int(box["xmin"]), 0), width), min(max(int(box["xmax"]), 0), width)))
    y1, y2 = sorted((min(max(int(box["ymin"]), 0), height), min(max(int(box["ymax"]), 0), height)))
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def present_boxes(result: dict) -> dict:
    """Detections -> {"image": picture with its boxes, one colour per label; "table": label / score / box, best
    first}: the outputs of a detection tab.

    Boxes are clipped to the picture; ones wholly outside it are left out."""
    import pandas as pd

    image, detections = result["input"], result["output"]
    width, height = image.size
    masks, rows = {}, []
    for found in sorted(detections, key=lambda d: -d["score"]):
        box = clip_box(found["box"], image.size)
        if box is None:
            continue
        label = str(found["label"])
        outline(masks.setdefault(label, np.zeros((height, width), np.float32)), box)
        rows.append([label, round(float(found["score"]), 4), *box])
    return {"image": annotated(image, masks), "table": pd.DataFrame(rows, columns=BOX_COLUMNS)}


def distinct(labels) -> list[str]:
    """Labels made unique for the legend: 'person', 'person 2', 'person 3', ..."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} {seen[label]}")
    return out


def split_labels(text: str, what: str = "label") -> list[str]:
    """'cat, dog ,, a rocket' -> ['cat', 'dog', 'a rocket'] (duplicates dropped)."""
    labels = list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
    if not labels:
        raise UserError(f"Type at least one {what}, separated by commas (e.g. cat, dog, rocket).")
    too_long(labels, what)
    return labels


MAX_LABEL_CHARS = 200  # a label is a few words; a text-length one overruns the text encoder's window and crashes it


def too_long(labels, what: str = "label") -> None:
    for label in labels:
        if len(label) > MAX_LABEL_CHARS:
            raise UserError(f"Each {what} should be a few words: one has {len(label):,} characters "
                            f"(at most {MAX_LABEL_CHARS}). Separate several with commas.")


def mask_array(mask, opacity: float = MASK_OPACITY) -> np.ndarray:
    """A PIL 'L' mask or a bool array -> the float array AnnotatedImage takes (its value is the overlay's opacity)."""
    return (np.asarray(mask) > 0).astype(np.float32) * opacity
