import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, causal_lm, save
from tasks.summarization import prepare, present

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
