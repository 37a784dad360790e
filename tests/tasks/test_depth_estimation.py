import numpy as np
from gradio_client import handle_file
from PIL import Image

from runtime.spec import TinyModel
from runtime.tiny import save
from tasks._vision import with_input
from tasks.depth_estimation import ANCHORS, colourise, present

from tests.tasks._vision_checks import assert_bad_images_refused, local


def build_tiny_dpt(folder):
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    config = DPTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
        intermediate_size=37, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 8, 16, 16],
        fusion_hidden_size=16, head_hidden_size=8,
    )
    processor = DPTImageProcessor(size={"height": 32, "width": 32})
    save(folder, DPTForDepthEstimation(config), processor)


TINY = (TinyModel("tiny-dpt", build_tiny_dpt),)


def test_colourise_spreads_the_range_over_the_map():
    depth = np.array([[0.0, 5.0], [10.0, 10.0]])
    picture = np.asarray(colourise(depth))
    assert picture.shape == (2, 2, 3)
    assert picture[0, 0].tolist() == ANCHORS[0].tolist() and picture[1, 1].tolist() == ANCHORS[-1].tolist()
    assert np.asarray(colourise(np.ones((3, 4)))).shape == (3, 4, 3)  # flat depth: no division by zero


def test_present_takes_tensor_or_array():
    import torch

    result = with_input(Image.new("RGB", (4, 3)), {"predicted_depth": torch.rand(1, 3, 4)})
    assert present(result, image="x.png")["depth_map"].size == (4, 3)
    array = with_input(Image.new("RGB", (4, 3)), {"predicted_depth": np.random.rand(3, 4)})
    assert set(present(array)) == {"depth_map"} and present(array)["depth_map"].size == (4, 3)


def test_end_to_end_depth_map_is_the_input_size(predict, tiny, asset):
    out = predict("depth-estimation", model=tiny("depth-estimation"), image=handle_file(asset("rocket.jpg")))
    depth, raw, status = out["depth_map"], out["raw"], out["status"]
    size = Image.open(asset("rocket.jpg")).size
    picture = Image.open(local(depth))
    assert picture.size == size and picture.mode == "RGB"
    summary = raw["output"]["predicted_depth"]  # the raw depth range, as the JSON view shows it
    assert summary["array"] == [size[1], size[0]] and summary["min"] <= summary["max"]
    assert "tiny-dpt" in status


def test_end_to_end_one_pixel_wide_images_get_a_depth_map(predict, tiny, tmp_path):
    """README: 1×1 images work on every tab (transformers drops a 1-pixel side of the depth map and then fails)."""
    for size in ((1, 1), (1, 7), (5, 1)):
        path = tmp_path / f"{size[0]}x{size[1]}.png"
        Image.new("RGB", size, "red").save(path)
        out = predict("depth-estimation", model=tiny("depth-estimation"), image=handle_file(str(path)))
        seen = out["raw"]["input"]["image"]  # the image the model saw: each side at least 2 pixels
        assert seen == [max(size[0], 2), max(size[1], 2)], (size, out["raw"])
        assert Image.open(local(out["depth_map"])).size == tuple(seen) and "inference" in out["status"]


def test_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    out = assert_bad_images_refused(predict, "depth-estimation", tmp_path, asset, model=tiny("depth-estimation"))
    assert Image.open(local(out["depth_map"])).size == Image.open(asset("coffee.jpg")).size
