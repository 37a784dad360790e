import pytest
from gradio_client import handle_file
from PIL import Image

from runtime.spec import Limits, TinyModel
from runtime.tiny import save
from tasks._vision import clip_box, distinct, present_boxes, with_input
from tasks.object_detection import prepare, present

from tests.tasks._vision_checks import annotations, assert_bad_images_refused, rows

LABELS = ("cat", "dog", "person", "rocket", "cup")


def labels():
    return {"id2label": dict(enumerate(LABELS)), "label2id": {label: i for i, label in enumerate(LABELS)}}


def build_tiny_detr(folder):
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor, ResNetConfig

    backbone = ResNetConfig(embedding_size=8, hidden_sizes=[8, 8, 16, 16], depths=[1, 1, 1, 1],
                            out_features=["stage4"])
    config = DetrConfig(
        use_timm_backbone=False, backbone_config=backbone, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37,
        num_queries=8, **labels(),
    )
    processor = DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    save(folder, DetrForObjectDetection(config), processor)


def build_tiny_yolos(folder):
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessor

    config = YolosConfig(
        image_size=[64, 64], patch_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, num_detection_tokens=8, **labels(),
    )
    processor = YolosImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    save(folder, YolosForObjectDetection(config), processor)


TINY = (TinyModel("tiny-detr", build_tiny_detr), TinyModel("tiny-yolos", build_tiny_yolos))


def test_prepare_gives_rgb_image_downscaled_to_the_limit(asset):
    call = prepare(image=asset("coffee.jpg"), threshold=0.3, limits=Limits(max_image_side=300))
    assert call.inputs.mode == "RGB" and max(call.inputs.size) == 300
    assert call.kwargs == {"threshold": 0.3}


def test_clip_box_keeps_boxes_inside_the_image():
    assert clip_box({"xmin": -5, "ymin": 10, "xmax": 500, "ymax": 40}, (100, 50)) == (0, 10, 100, 40)
    assert clip_box({"xmin": 120, "ymin": 0, "xmax": 130, "ymax": 10}, (100, 50)) is None  # wholly outside


def test_present_draws_boxes_and_lists_them_best_first():
    image = Image.new("RGB", (100, 50))
    found = [{"score": 0.5, "label": "cat", "box": {"xmin": 1, "ymin": 2, "xmax": 30, "ymax": 40}},
             {"score": 0.9, "label": "dog", "box": {"xmin": 50, "ymin": 0, "xmax": 200, "ymax": 49}}]
    found.append({"score": 0.7, "label": "cat", "box": {"xmin": 60, "ymin": 10, "xmax": 70, "ymax": 20}})
    out = present_boxes(with_input(image, found))
    assert set(out) == {"image", "table"}
    (base, drawn), table = out["image"], out["table"]
    assert table.values.tolist() == [
        ["dog", 0.9, 50, 0, 100, 49], ["cat", 0.7, 60, 10, 70, 20], ["cat", 0.5, 1, 2, 30, 40]]
    assert base is image and [label for _, label in drawn] == ["dog", "cat"]  # one colour per label
    cat = drawn[1][0]
    assert cat.shape == (50, 100) and cat[2, 1] == 1.0 and cat[15, 65] == 0.35 and cat[45, 90] == 0  # border, fill
    shown = present(with_input(image, found), image="x.png", threshold=0.5)  # the task's present: the same, by name
    assert shown["table"].values.tolist() == table.values.tolist() and shown["image"][0] is image


def test_distinct_numbers_repeated_labels():
    assert distinct(["cat", "dog", "cat", "cat"]) == ["cat", "dog", "cat 2", "cat 3"]


@pytest.mark.parametrize("model", ["tiny-detr", "tiny-yolos"])
def test_end_to_end_boxes_inside_the_image(predict, tiny, asset, model):
    out = predict("object-detection", model=tiny("object-detection", model), image=handle_file(asset("chelsea.jpg")),
                  threshold=0.0)
    picture, table, raw, status = out["image"], out["table"], out["raw"], out["status"]
    width, height = Image.open(asset("chelsea.jpg")).size
    assert raw["input"] == {"image": [width, height], "mode": "RGB"}
    found = rows(table)
    assert found and len(found) <= len(raw["output"])
    for row in found:
        assert row["label"] in LABELS and 0 <= row["score"] <= 1
        assert 0 <= row["xmin"] < row["xmax"] <= width and 0 <= row["ymin"] < row["ymax"] <= height
    drawn = annotations(picture)
    assert drawn[0][0].size == (width, height)
    assert [label for _, label in drawn[1:]] == list(dict.fromkeys(row["label"] for row in found))
    for mask, label in drawn[1:]:
        assert mask.size == (width, height)
        box = next(row for row in found if row["label"] == label)
        alpha = mask.getchannel("A")
        assert alpha.getpixel((box["xmin"], box["ymin"])) == 255  # the box's corner is drawn
    assert model in status


def test_threshold_above_every_score_finds_nothing(predict, tiny, asset):
    out = predict("object-detection", model=tiny("object-detection"), image=handle_file(asset("rocket.jpg")),
                  threshold=1.0)
    assert rows(out["table"]) == [] and out["raw"]["output"] == [] and out["image"]["annotations"] == []


def test_bad_images_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    out = assert_bad_images_refused(predict, "object-detection", tmp_path, asset, model=tiny("object-detection"),
                                    threshold=0.0)
    assert out["raw"]["input"]["image"] == list(Image.open(asset("coffee.jpg")).size)
