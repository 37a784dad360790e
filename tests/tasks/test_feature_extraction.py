import numpy as np
import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.feature_extraction import embed, prepare, present
from tests.tasks._tiny_helpers import bert_config


def build_tiny(folder):
    from transformers import BertModel

    tokenizer = wordpiece_tokenizer()
    save(folder, BertModel(bert_config(tokenizer), add_pooling_layer=False), tokenizer)


TINY = (TinyModel("tiny-bert-embeddings", build_tiny),)


def test_prepare_wants_two_or_more_sentences():
    assert prepare(text="a\n\n b \nc").inputs == ["a", "b", "c"]
    with pytest.raises(UserError, match="at least two"):
        prepare(text="only one")


def test_embed_is_the_unit_mean_of_token_vectors():
    vector = embed([[[3.0, 0.0], [1.0, 0.0]]])
    assert np.allclose(vector, [1.0, 0.0])


def test_present_gives_a_symmetric_cosine_matrix():
    shown = present([[[[1.0, 0.0]]], [[[0.0, 2.0]]], [[[1.0, 1.0]]]], text="a\nb\nc")
    assert set(shown) == {"info", "similarity"}
    info, table = shown["info"], shown["similarity"]
    rows = [row[1:] for row in table["data"]]
    assert rows[0][0] == 1.0 and rows[0][1] == 0.0 and rows[0][2] == pytest.approx(0.707, abs=1e-3)
    assert "embedding size **2**" in info and "mean" in info and "L2" in info


def test_end_to_end(predict, tiny):
    out = predict("feature-extraction", model=tiny("feature-extraction"),
                  text="A cat sits on the mat.\nA dog sleeps in the sun.\nThe weather is sunny.")
    info, table, status = out["info"], out["similarity"], out["status"]
    assert table["headers"] == ["sentence", "1", "2", "3"]
    matrix = np.array([row[1:] for row in table["data"]], dtype=float)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-3) and np.allclose(matrix, matrix.T, atol=1e-3)
    assert (np.abs(matrix) <= 1.0 + 1e-3).all()
    assert "embedding size **32**" in info
    assert "tiny-bert-embeddings" in status
