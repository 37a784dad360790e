import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks._vision import MASK_OPACITY, with_input
from tasks.image_segmentation import prepare, present

from tests.tasks._vision_checks import annotations, assert_bad_images_refused, rows

LABELS = ("background", "cat", "person", "sky", "cup")


def build_tiny_segformer(folder):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation, SegformerImageProcessor

    config = SegformerConfig(
        num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[16, 32], patch_sizes=[7, 3],
        strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2], decoder_hidden_size=32,
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)},
    )
    processor = SegformerImageProcessor(size={"height": 64, "width": 64})
    save(folder, SegformerForSemanticSegmentation(config), processor)


TINY = (TinyModel("tiny-segformer", build_tiny_segformer),)


def test_prepare_passes_subtask_only_when_chosen(asset):
    assert "subtask" not in prepare(image=asset("chelsea.jpg"), subtask="auto", threshold=0.9,
                                    mask_threshold=0.5).kwargs
    assert prepare(image=asset("chelsea.jpg"), subtask="panoptic", threshold=0.8, mask_threshold=0.4).kwargs == {
        "subtask": "panoptic", "threshold": 0.8, "mask_threshold": 0.4}
    with pytest.raises(UserError, match="kind of segmentation"):
        prepare(image=asset("chelsea.jpg"), subtask="everything", threshold=0.9, mask_threshold=0.5)


def test_present_numbers_instances_and_measures_areas():
    image = Image.new("RGB", (10, 4))
    half = Image.fromarray(np.repeat([[255] * 5 + [0] * 5], 4, axis=0).astype(np.uint8), mode="L")
    quarter = Image.fromarray((np.arange(40).reshape(4, 10) % 10 < 1).astype(np.uint8) * 255, mode="L")
    segments = [{"score": 0.9, "label": "cat", "mask": half}, {"score": 0.5, "label": "cat", "mask": quarter}]
    out = present(with_input(image, segments), image="x.png", subtask="auto", threshold=0.9, mask_threshold=0.5)
    assert set(out) == {"image", "table"}
    (_, drawn), table = out["image"], out["table"]
    assert [label for _, label in drawn] == ["cat", "cat 2"]
    assert drawn[0][0].shape == (4, 10) and drawn[0][0].max() == MASK_OPACITY
    assert table.values.tolist() == [["cat", 0.9, 50.0], ["cat 2", 0.5, 10.0]]


def test_end_to_end_semantic_masks_cover_the_image(predict, tiny, asset):
    out = predict("image-segmentation", model=tiny("image-segmentation"), image=handle_file(asset("chelsea.jpg")),
                  subtask="auto", threshold=0.9, mask_threshold=0.5)
    picture, table, status = out["image"], out["table"], out["status"]
    size = Image.open(asset("chelsea.jpg")).size
    found = rows(table)
    assert found and {row["label"] for row in found} <= set(LABELS)
    assert all(row["score"] is None for row in found)  # semantic segmentation has no per-segment score
    assert sum(row["area %"] for row in found) == pytest.approx(100, abs=0.1)  # semantic: every pixel once
    drawn = annotations(picture)
    assert [label for _, label in drawn[1:]] == [row["label"] for row in found]
    assert all(mask.size == size for mask, _ in drawn)
    assert "tiny-segformer" in status


def test_unsupported_subtask_is_refused_plainly(predict, tiny, asset):
    with pytest.raises(AppError, match="does not do instance segmentation; it does: semantic"):
        predict("image-segmentation", model=tiny("image-segmentation"), image=handle_file(asset("chelsea.jpg")),
                subtask="instance", threshold=0.9, mask_threshold=0.5)


def test_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    out = assert_bad_images_refused(predict, "image-segmentation", tmp_path, asset, model=tiny("image-segmentation"),
                                    subtask="semantic", threshold=0.9, mask_threshold=0.5)
    assert rows(out["table"])
