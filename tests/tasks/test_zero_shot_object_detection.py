import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, save
from tasks.zero_shot_object_detection import prepare

from tests.tasks._tiny_helpers import text_and_vision_configs
from tests.tasks._vision_checks import annotations, assert_bad_images_refused, rows


def build_tiny_owlvit(folder):
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor

    tokenizer = bpe_tokenizer(model_max_length=16)
    text, vision = text_and_vision_configs(tokenizer)
    config = OwlViTConfig(text_config=text, vision_config=vision, projection_dim=32)  # projection == text hidden
    processor = OwlViTImageProcessor(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32})
    model = OwlViTForObjectDetection(config)
    with torch.no_grad():  # random weights saturate the box head into zero-width boxes: keep each near its patch
        model.box_head.dense2.weight.mul_(0.01)
        model.box_head.dense2.bias.zero_()
    save(folder, model, tokenizer, processor)


TINY = (TinyModel("tiny-owlvit", build_tiny_owlvit),)


def test_prepare_splits_queries(asset):
    call = prepare(image=asset("coffee.jpg"), queries="a cup,  a spoon ,", threshold=0.2)
    assert call.kwargs == {"candidate_labels": ["a cup", "a spoon"], "threshold": 0.2}
    with pytest.raises(UserError, match="at least one thing to look for"):
        prepare(image=asset("coffee.jpg"), queries=" , ", threshold=0.2)


def test_end_to_end_boxes_are_for_the_queries_and_inside_the_image(predict, tiny, asset):
    out = predict("zero-shot-object-detection", model=tiny("zero-shot-object-detection"),
                  image=handle_file(asset("astronaut.jpg")), queries="a flag, a helmet", threshold=0.0)
    picture, table, status = out["image"], out["table"], out["status"]
    width, height = Image.open(asset("astronaut.jpg")).size
    found = rows(table)
    assert found and {row["label"] for row in found} <= {"a flag", "a helmet"}
    for row in found:
        assert 0 <= row["xmin"] < row["xmax"] <= width and 0 <= row["ymin"] < row["ymax"] <= height
    drawn = annotations(picture)
    assert all(mask.size == (width, height) for mask, _ in drawn)
    assert {label for _, label in drawn[1:]} == {row["label"] for row in found}
    assert "tiny-owlvit" in status


def test_bad_input_is_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    model = tiny("zero-shot-object-detection")
    with pytest.raises(AppError, match="at least one thing to look for"):
        predict("zero-shot-object-detection", model=model, image=handle_file(asset("coffee.jpg")), queries="",
                threshold=0.1)
    out = assert_bad_images_refused(predict, "zero-shot-object-detection", tmp_path, asset, model=model,
                                    queries="a cup", threshold=0.0)
    assert {found["label"] for found in out["raw"]["output"]} <= {"a cup"}
