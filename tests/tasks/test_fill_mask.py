import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.fill_mask import check_mask, prepare, present
from tests.tasks._tiny_helpers import bert_config


def build_tiny(folder):
    from transformers import BertForMaskedLM

    tokenizer = wordpiece_tokenizer()
    save(folder, BertForMaskedLM(bert_config(tokenizer)), tokenizer)


TINY = (TinyModel("tiny-bert-mlm", build_tiny),)


def test_check_mask_names_the_models_token():
    check_mask("<mask>", "Paris is the <mask> of France.")
    with pytest.raises(UserError, match=r"mask token is <mask>.*Paris is the <mask> of France"):
        check_mask("<mask>", "Paris is the [MASK] of France.")
    with pytest.raises(UserError, match="once"):
        check_mask("[MASK]", "[MASK] and [MASK]")


def test_prepare_and_present():
    assert prepare(text=" a [MASK] b ", top_k=3).kwargs == {"top_k": 3}
    with pytest.raises(UserError, match="mask token"):
        prepare(text="", top_k=3)
    guesses = [{"sequence": "a cat b", "token_str": "cat", "score": 0.6, "token": 7},
               {"sequence": "a dog b", "token_str": "dog", "score": 0.3, "token": 8}]
    shown = present({"mask_token": "[MASK]", "guesses": guesses}, text="a [MASK] b", top_k=3)
    assert list(shown) == ["mask_token", "guesses", "sentences"]
    info, labels, table = shown["mask_token"], shown["guesses"], shown["sentences"]
    assert "`[MASK]`" in info and labels == {"cat": 0.6, "dog": 0.3} and table[0] == ["a cat b", "cat", 0.6]


def test_end_to_end(predict, tiny):
    out = predict("fill-mask", model=tiny("fill-mask"), text="The quick brown fox jumps over the lazy [MASK].", top_k=4)
    info, labels, table, raw = out["mask_token"], out["guesses"], out["sentences"], out["raw"]
    assert "[MASK]" in info
    assert 1 <= len(labels["confidences"]) <= 4 and len(table["data"]) == 4
    for sentence, token, score in table["data"]:
        assert sentence.startswith("the quick brown fox") and "[MASK]" not in sentence and 0 <= score <= 1
    assert raw["mask_token"] == "[MASK]"


def test_missing_mask_token_is_a_clear_error_and_the_next_request_works(predict, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"mask token is \[MASK\]"):
        predict("fill-mask", model=tiny("fill-mask"), text="Paris is the <mask> of France.", top_k=3)
    labels = predict("fill-mask", model=tiny("fill-mask"), text="Paris is the [MASK] of France.", top_k=3)["guesses"]
    assert len(labels["confidences"]) >= 1
