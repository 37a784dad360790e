import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.image_feature_extraction import MAX_IMAGES, cosine_matrix, names, prepare

from tests.tasks._vision_checks import bad_images


def build_tiny_vit(folder):
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=37)
    save(folder, ViTModel(config), ViTImageProcessor(size={"height": 32, "width": 32}))


TINY = (TinyModel("tiny-vit-features", build_tiny_vit),)


def test_cosine_matrix_is_symmetric_with_ones_on_the_diagonal():
    similarity = cosine_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [0.0, 0.0]]))
    assert similarity[0, 1] == 0 and similarity[0, 2] == pytest.approx(2 ** -0.5)
    assert np.allclose(similarity, similarity.T) and np.allclose(np.diag(similarity)[:3], 1)
    assert similarity[3, 3] == 0  # an all-zero vector does not divide by zero


def test_names_number_the_files():
    assert names(["/a/cat.jpg", "/b/cat.jpg"]) == ["1. cat.jpg", "2. cat.jpg"]


def test_prepare_needs_two_to_max_images(asset):
    assert len(prepare(images=[asset("chelsea.jpg"), asset("coffee.jpg")]).inputs) == 2
    with pytest.raises(UserError, match="at least two"):
        prepare(images=[asset("chelsea.jpg")])
    with pytest.raises(UserError, match=f"at most {MAX_IMAGES}"):
        prepare(images=[asset("chelsea.jpg")] * (MAX_IMAGES + 1))


def test_end_to_end_similarity_matrix(predict, tiny, asset):
    files = [asset("chelsea.jpg"), asset("coffee.jpg"), asset("chelsea.jpg")]
    out = predict("image-feature-extraction", model=tiny("image-feature-extraction"),
                  images=[handle_file(f) for f in files])
    gallery, table, raw, status = out["gallery"], out["similarity"], out["raw"], out["status"]
    labels = ["1. chelsea.jpg", "2. coffee.jpg", "3. chelsea.jpg"]
    assert table["headers"] == ["image", *labels] and [row[0] for row in table["data"]] == labels
    matrix = np.array([row[1:] for row in table["data"]], dtype=float)
    assert matrix.shape == (3, 3) and np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1)
    assert matrix[0, 2] == pytest.approx(1) and -1 <= matrix[0, 1] <= 1  # the same photo twice is identical
    assert [item["caption"] for item in gallery] == labels
    assert raw["output"]["array"][0] == 3
    assert "tiny-vit-features" in status


def test_bad_input_is_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    model = tiny("image-feature-extraction")
    with pytest.raises(AppError, match="at least two"):
        predict("image-feature-extraction", model=model, images=[handle_file(asset("coffee.jpg"))])
    for bad in bad_images(tmp_path, asset).values():
        with pytest.raises(AppError, match="not an image this app can read"):
            predict("image-feature-extraction", model=model,
                    images=[handle_file(asset("coffee.jpg")), handle_file(bad)])
    out = predict("image-feature-extraction", model=model,
                  images=[handle_file(asset("coffee.jpg")), handle_file(asset("rocket.jpg"))])
    assert len(out["similarity"]["data"]) == 2
