import pytest

from runtime.errors import UserError
from tasks.translation import prepare


def test_prepare_keeps_languages_for_the_model_to_use():
    call = prepare(" Hello ", "English", "German", 64, 1)
    assert call.inputs == "Hello" and call.kwargs["source"] == "English" and call.kwargs["target"] == "German"
    with pytest.raises(UserError, match="two different languages"):
        prepare("Hello", "French", "French", 64, 1)
    with pytest.raises(UserError, match="from the list"):
        prepare("Hello", "Klingon", "French", 64, 1)


@pytest.mark.parametrize("model, mode", [("tiny-t5", "encoder-decoder"), ("tiny-gpt2-chat", "chat")])
def test_end_to_end(client, tiny, model, mode):
    text, note, raw, status = client.predict(tiny("translation", model), "The weather is sunny.", "English", "French", 12, 2,
                                             api_name="/translation")
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
