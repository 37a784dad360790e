"""Image similarity: two or more photos in, how alike each pair looks to the model (cosine similarity) out."""

import os

import numpy as np

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import with_input

MAX_IMAGES = 8


def inputs():
    import gradio as gr

    return {"images": gr.File(label="Images (two or more)", file_count="multiple", file_types=["image"],
                              type="filepath", elem_id="image-feature-extraction-images")}


def outputs():
    import gradio as gr

    return {
        "gallery": gr.Gallery(label="Compared", columns=4, height=200, elem_id="image-feature-extraction-gallery"),
        "similarity": gr.Dataframe(label="Cosine similarity (1 = the model sees them as the same)", interactive=False, wrap=True,
                                   elem_id="image-feature-extraction-similarity"),
    }


def prepare(images, limits=Limits()):
    paths = [getattr(image, "name", image) for image in (images or [])]  # older gradio hands file objects
    if len(paths) < 2:
        raise UserError("Add at least two images to compare.")
    if len(paths) > MAX_IMAGES:
        raise UserError(f"Compare at most {MAX_IMAGES} images at a time.")
    return Call([load_image(path, limits.max_image_side) for path in paths])


def run(pipe, call, progress=None):
    """One feature vector per image: the mean of the model's last hidden states over tokens (or pixels)."""
    vectors = []
    for image in call.inputs:
        features = pipe(image, return_tensors=True, **call.kwargs)
        features = features.detach().float().cpu().numpy()[0]  # drop the batch axis
        if features.ndim == 3:  # convolutional: channels x height x width
            features = features.reshape(features.shape[0], -1).T
        vectors.append(features.reshape(-1, features.shape[-1]).mean(axis=0))
    return with_input(call.inputs, np.stack(vectors))


def snippet(context) -> str:
    """Plain transformers: one vector per image as `run` makes it, then the cosine similarity of each pair."""
    from runtime.snippets import load_lines, render, written

    setup: list[str] = []
    images = render(context.call.inputs, list(context.files), setup)
    return written([
        *load_lines(context), *setup, f"images = {images}", "vectors = []",
        "for image in images:  # one vector each: the mean of the last hidden states over tokens (or pixels)",
        "    features = pipe(image, return_tensors=True)[0].float().cpu()",
        "    if features.ndim == 3:  # convolutional: channels x height x width",
        "        features = features.flatten(1).T",
        "    vectors.append(features.reshape(-1, features.shape[-1]).mean(0))",
        "unit = torch.nn.functional.normalize(torch.stack(vectors), dim=1)",
        "result = (unit @ unit.T).clamp(-1, 1).round(decimals=4).tolist()  # the cosine similarity of each pair",
        "print(result)"], setup, ["from transformers import pipeline"])


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    return np.clip(unit @ unit.T, -1.0, 1.0)


def names(paths) -> list[str]:
    """Short, distinct column names: the file names, numbered when two are the same."""
    bases = [os.path.basename(str(getattr(p, "name", p))) for p in paths]
    return [f"{i}. {base}" for i, base in enumerate(bases, 1)]


def present(result, images, **_):
    import pandas as pd

    similarity = cosine_matrix(np.asarray(result["output"], dtype=np.float64)).round(4)
    labels = names(images)
    table = pd.DataFrame(similarity, columns=labels)
    table.insert(0, "image", labels)
    return {"gallery": [(image, label) for image, label in zip(result["input"], labels)], "similarity": table}


TASK = Task(
    name="image-feature-extraction",
    title="Image similarity",
    modality="Vision",
    models=("facebook/dinov2-small", "google/vit-base-patch16-224-in21k", "facebook/dinov2-base"),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    examples=(
        {"images": ["assets/chelsea.jpg", "assets/coffee.jpg", "assets/rocket.jpg"]},
        {"images": ["assets/astronaut.jpg", "assets/rocket.jpg"]},
    ),
    description="DINOv2 and ViT image features: how alike each pair of pictures is, as a cosine similarity matrix.",
)
