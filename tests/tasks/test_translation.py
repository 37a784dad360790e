import re

import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer, causal_lm, save
from tasks.translation import prepare, present


def build_t5(folder):
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

    tokenizer = bpe_tokenizer(model_max_length=256)
    special = {"eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id,
               "decoder_start_token_id": tokenizer.pad_token_id}
    config = T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=37, num_layers=1, num_heads=2, **special)
    model = T5ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(**special, max_new_tokens=20)
    save(folder, model, tokenizer)


TINY = (TinyModel("tiny-t5", build_t5), TinyModel("tiny-gpt2-chat", causal_lm))


def test_prepare_keeps_languages_for_the_model_to_use():
    call = prepare(text=" Hello ", source="English", target="German", max_new_tokens=64, num_beams=1)
    assert call.inputs == "Hello" and call.kwargs["source"] == "English" and call.kwargs["target"] == "German"
    with pytest.raises(UserError, match="two different languages"):
        prepare(text="Hello", source="French", target="French", max_new_tokens=64, num_beams=1)
    with pytest.raises(UserError, match="from the list"):
        prepare(text="Hello", source="Klingon", target="French", max_new_tokens=64, num_beams=1)


def test_present_names_the_translation_and_how_it_was_made():
    shown = present({"translation_text": "Bonjour", "mode": "encoder-decoder", "fixed_pair": True}, text="Hello")
    assert shown["translation"] == "Bonjour" and set(shown) == {"translation", "mode"}
    assert "encoder-decoder" in shown["mode"] and "Marian" in shown["mode"]


@pytest.mark.parametrize("model, mode", [("tiny-t5", "encoder-decoder"), ("tiny-gpt2-chat", "chat")])
def test_end_to_end(predict, tiny, model, mode):
    out = predict("translation", model=tiny("translation", model), text="The weather is sunny.", source="English",
                  target="French", max_new_tokens=12, num_beams=2)
    text, note, raw, status = out["translation"], out["mode"], out["raw"], out["status"]
    assert raw["mode"] == mode and text == raw["translation_text"] and isinstance(text, str)
    assert "Marian" not in note and model in status


def test_t5_is_told_the_language_pair(tiny):
    from transformers import pipeline as _  # noqa: F401

    from runtime.config import Config
    from runtime.models import ModelCache
    from tasks.translation import TASK
    from tasks import _seq2seq

    config = Config.load(None, allow_any_model=True, allow_local_paths=True)
    pipe = ModelCache().get(TASK, config.resolve(TASK, tiny("translation", "tiny-t5"))).pipe
    assert _seq2seq.t5_prefix(pipe, "translation_en_to_de", "translate English to German: ") == "translate English to German: "


def test_end_to_end_a_text_over_the_window_is_cut_and_the_status_says_so(predict, tiny):
    """T5 reads its first 256 tokens of a 4,000-character text (under the tab's limit): the status line says so."""
    out = predict("translation", model=tiny("translation", "tiny-t5"), text="The weather is sunny today. " * 140,
                  source="English", target="French", max_new_tokens=8, num_beams=1)
    assert re.search(r"input cut to the model's first 256 of \d+ tokens", out["status"]), out["status"]
