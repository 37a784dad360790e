import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks._vision import with_input
from tasks.mask_generation import MAX_MASKS, prepare, present

from tests.tasks._vision_checks import annotations, assert_bad_images_refused, rows, small_copy


def build_tiny_sam(folder):
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor

    vision = dict(hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2, image_size=64,
                  patch_size=16, window_size=2, global_attn_indexes=[1], mlp_dim=37, num_pos_feats=8)
    prompt = dict(hidden_size=16, image_size=64, patch_size=16, image_embedding_size=4, mask_input_channels=4)
    decoder = dict(hidden_size=16, mlp_dim=32, num_hidden_layers=2, num_attention_heads=2, iou_head_hidden_dim=16)
    config = SamConfig(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)
    processor = SamImageProcessor(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64},
                                  mask_size={"longest_edge": 16}, mask_pad_size={"height": 16, "width": 16})
    save(folder, SamModel(config), SamProcessor(image_processor=processor))


TINY = (TinyModel("tiny-sam", build_tiny_sam),)

KEEP_ALL = {"pred_iou_thresh": 0.0, "stability_score_thresh": 0.0}  # random weights score low


def test_prepare_maps_the_sliders_to_pipeline_arguments(asset):
    assert prepare(image=asset("coffee.jpg"), points_per_batch=32, points_per_side=8, pred_iou_thresh=0.5,
                   stability_score_thresh=0.6).kwargs == {
        "points_per_batch": 32, "points_per_crop": 8, "pred_iou_thresh": 0.5, "stability_score_thresh": 0.6}
    with pytest.raises(UserError, match="Points per batch"):
        prepare(image=asset("coffee.jpg"), points_per_batch=0, points_per_side=8, pred_iou_thresh=0.5,
                stability_score_thresh=0.6)


def test_present_ranks_masks_and_caps_how_many_are_drawn():
    masks = [np.eye(4, dtype=bool)] * (MAX_MASKS + 5)
    scores = np.linspace(0, 1, MAX_MASKS + 5)
    out = present(with_input(Image.new("RGB", (4, 4)), {"masks": masks, "scores": scores}), image="a.png")
    assert set(out) == {"image", "table"}
    (_, drawn), table = out["image"], out["table"]
    assert len(drawn) == len(table) == MAX_MASKS
    assert table["score"].tolist() == sorted(table["score"], reverse=True) and table["area %"][0] == 25.0


def test_end_to_end_masks_are_the_image_size(predict, tiny, tmp_path, asset):
    image = small_copy(tmp_path, asset)
    out = predict("mask-generation", model=tiny("mask-generation"), image=handle_file(image), points_per_batch=16,
                  points_per_side=4, **KEEP_ALL)
    picture, table, raw, status = out["image"], out["table"], out["raw"], out["status"]
    size = Image.open(image).size
    found = rows(table)
    assert found and len(found) == len(raw["output"]["scores"] if isinstance(raw["output"]["scores"], list) else found)
    assert all(0 < row["area %"] <= 100 for row in found)
    drawn = annotations(picture)
    assert [label for _, label in drawn[1:]] == [row["mask"] for row in found]
    assert all(mask.size == size for mask, _ in drawn)
    assert "tiny-sam" in status


def test_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    out = assert_bad_images_refused(predict, "mask-generation", tmp_path, asset, model=tiny("mask-generation"),
                                    points_per_batch=64, points_per_side=4, **KEEP_ALL)
    assert rows(out["table"])
