import re

import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, causal_lm, save
from tasks.summarization import MAX_CHARS, prepare, present

ARTICLE = "The Pipeline Playground lets anyone try models in the browser. " * 6


def build_bart(folder):
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

    tokenizer = bpe_tokenizer(model_max_length=256)
    special = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
               "pad_token_id": tokenizer.pad_token_id, "decoder_start_token_id": tokenizer.eos_token_id}
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=256, **special,
    )
    model = BartForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**special, max_new_tokens=20)
    save(folder, model, tokenizer)


TINY = (TinyModel("tiny-bart", build_bart), TinyModel("tiny-gpt2-chat", causal_lm))


def test_prepare_checks_lengths():
    assert prepare(text=" text ", max_new_tokens=40, min_new_tokens=5, num_beams=3).kwargs == {
        "max_new_tokens": 40, "min_new_tokens": 5, "num_beams": 3, "do_sample": False}
    with pytest.raises(UserError, match="Paste a text"):
        prepare(text="", max_new_tokens=40, min_new_tokens=5, num_beams=1)
    with pytest.raises(UserError, match="shortest summary"):
        prepare(text="x", max_new_tokens=10, min_new_tokens=20, num_beams=1)


def test_present_says_how_it_was_answered():
    assert present({"summary_text": "short", "mode": "chat"}, text="a long text") == {
        "summary": "short", "mode": "Answered by a chat model, asked through its chat template."}


@pytest.mark.parametrize("model, mode", [("tiny-bart", "encoder-decoder"), ("tiny-gpt2-chat", "chat")])
def test_end_to_end(predict, tiny, model, mode):
    out = predict("summarization", model=tiny("summarization", model), text=ARTICLE, max_new_tokens=12,
                  min_new_tokens=4, num_beams=2)
    summary, note, raw, status = out["summary"], out["mode"], out["raw"], out["status"]
    assert raw["mode"] == mode and summary == raw["summary_text"] and isinstance(summary, str)
    assert summary.strip()  # min_new_tokens: something was generated
    assert mode.split("-")[0] in note and model in status


def test_end_to_end_a_long_text_is_cut_to_the_window_and_the_status_says_so(predict, tiny):
    """README: text far over the model's window is cut, and the status line says so; no character limit refuses it
    for an encoder-decoder model, which reads only its window (the tiny BART's is 256 tokens)."""
    bart = tiny("summarization", "tiny-bart")
    for chars in (19_000, 60_000):
        out = predict("summarization", model=bart, text=(ARTICLE * 200)[:chars], max_new_tokens=8, min_new_tokens=1,
                      num_beams=1)
        cut = re.search(r"input cut to the model's first 256 of ([\d,]+) tokens", out["status"])
        assert cut and int(cut[1].replace(",", "")) > 256 * 10, out["status"]
        assert isinstance(out["summary"], str) and out["raw"]["mode"] == "encoder-decoder"
    short = predict("summarization", model=bart, text=ARTICLE, max_new_tokens=8, min_new_tokens=1, num_beams=1)
    assert "cut" not in short["status"]


def test_end_to_end_a_chat_model_refuses_text_over_its_character_limit(predict, tiny):
    """A chat model reads every word, so it keeps a character limit, and says it."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=f"at most {MAX_CHARS:,} characters"):
        predict("summarization", model=tiny("summarization", "tiny-gpt2-chat"), text="word " * (MAX_CHARS // 4),
                max_new_tokens=8, min_new_tokens=1, num_beams=1)

