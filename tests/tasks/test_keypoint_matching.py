import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from runtime.spec import TinyModel
from runtime.tiny import save
from tasks._vision import with_input
from tasks.keypoint_matching import present

from tests.tasks._vision_checks import bad_images, local, rows


def build_tiny_superglue(folder):
    from transformers import SuperGlueConfig, SuperGlueForKeypointMatching, SuperGlueImageProcessor

    detector = dict(model_type="superpoint", encoder_hidden_sizes=[8, 8, 16, 16], decoder_hidden_size=16,
                    descriptor_decoder_dim=16, keypoint_threshold=0.0, max_keypoints=32)
    config = SuperGlueConfig(keypoint_detector_config=detector, hidden_size=16, keypoint_encoder_sizes=[8, 16],
                             gnn_layers_types=["self", "cross"], num_attention_heads=2, sinkhorn_iterations=5)
    processor = SuperGlueImageProcessor(size={"height": 64, "width": 64})
    save(folder, SuperGlueForKeypointMatching(config), processor)


TINY = (TinyModel("tiny-superglue", build_tiny_superglue),)


def test_present_draws_both_images_side_by_side():
    first, second = Image.new("RGB", (30, 20), "black"), Image.new("RGB", (40, 10), "black")
    match = {"keypoint_image_0": {"x": 5.0, "y": 5.0}, "keypoint_image_1": {"x": 20.0, "y": 5.0}, "score": 0.8}
    out = present(with_input([first, second], [match]))
    assert set(out) == {"image", "table"}
    picture, table = out["image"], out["table"]
    assert picture.size == (70, 20)
    assert picture.getpixel((30 + 5, 5)) != (0, 0, 0)  # the line from (5, 5) to (30 + 20, 5) crosses the seam
    assert table.values.tolist() == [[0.8, 5.0, 5.0, 20.0, 5.0]]


def test_end_to_end_matches_lie_inside_their_images(predict, tiny, asset):
    first, second = asset("astronaut.jpg"), asset("rocket.jpg")
    out = predict("keypoint-matching", model=tiny("keypoint-matching"), first=handle_file(first),
                  second=handle_file(second), threshold=0.0)
    picture, table, raw, status = out["image"], out["table"], out["raw"], out["status"]
    (w0, h0), (w1, h1) = Image.open(first).size, Image.open(second).size
    assert Image.open(local(picture)).size == (w0 + w1, max(h0, h1))
    found = rows(table)
    assert len(found) == len(raw["output"])
    for row in found:
        assert 0 <= row["x (first)"] <= w0 and 0 <= row["y (first)"] <= h0
        assert 0 <= row["x (second)"] <= w1 and 0 <= row["y (second)"] <= h1
        assert 0 <= row["score"] <= 1
    assert "tiny-superglue" in status


def test_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    model = tiny("keypoint-matching")
    for bad in bad_images(tmp_path, asset).values():
        with pytest.raises(AppError, match="not an image this app can read"):
            predict("keypoint-matching", model=model, first=handle_file(asset("coffee.jpg")), second=handle_file(bad),
                    threshold=0.0)
    with pytest.raises(AppError, match="Add an image first"):
        predict("keypoint-matching", model=model, first=None, second=handle_file(asset("coffee.jpg")), threshold=0.0)
    out = predict("keypoint-matching", model=model, first=handle_file(asset("coffee.jpg")),
                  second=handle_file(asset("coffee.jpg")), threshold=0.0)
    assert Image.open(local(out["image"])).size == (1200, 400)
