"""Checks every vision task's tests share: bad image files through the API, and what a drawn result holds."""

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image


def bad_images(tmp_path, asset) -> dict[str, str]:
    """A text file named .png, and a JPEG cut off half way."""
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    data = open(asset("chelsea.jpg"), "rb").read()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 2])
    return {"not an image": str(text), "truncated": str(truncated)}


def assert_bad_images_refused(predict, task, tmp_path, asset, *, image="image", **values) -> dict:
    """Each bad file given as the input named `image` gets the plain 'not an image' message, and no image 'Add an
    image first'; then a good image still works: its answer {output name: value} is returned. `values` are the
    run's other values by name (model included), as for the `predict` fixture."""
    for path in bad_images(tmp_path, asset).values():
        with pytest.raises(AppError, match="not an image this app can read"):
            predict(task, **{image: handle_file(path)}, **values)
    with pytest.raises(AppError, match="Add an image first"):
        predict(task, **{image: None}, **values)
    return predict(task, **{image: handle_file(asset("coffee.jpg"))}, **values)


def small_copy(tmp_path, asset, name="chelsea.jpg", width=120) -> str:
    """A smaller copy of an example photo (keeps the slowest pipelines quick)."""
    image = Image.open(asset(name))
    image = image.resize((width, round(image.height * width / image.width)))
    path = tmp_path / f"small-{name}"
    image.save(path)
    return str(path)


def annotations(value) -> list[tuple[Image.Image, str]]:
    """An AnnotatedImage answer from the API -> [(mask image, label)], base image first with label None."""
    base = Image.open(local(value["image"]))
    return [(base, None)] + [(Image.open(local(a["image"])), a["label"]) for a in value["annotations"]]


def local(file) -> str:
    """gradio_client downloads files and answers with their local path (a FileData dict in some versions)."""
    return file if isinstance(file, str) else file["path"]


def rows(table) -> list[dict]:
    """A Dataframe answer from the API -> list of row dicts."""
    return [dict(zip(table["headers"], row)) for row in table["data"]]
