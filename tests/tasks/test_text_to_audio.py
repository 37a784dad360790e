import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from runtime.errors import UserError
from tasks.text_to_audio import MAX_CHARACTERS, prepare, present

TASK = "text-to-audio"


def say(predict, model, text="hello world, this is a test.", tokens=64, sample=True, temperature=1.0, guidance=3.0,
        seed=0) -> dict:
    return predict(TASK, model=model, text=text, max_new_tokens=tokens, do_sample=sample, temperature=temperature,
                   guidance_scale=guidance, seed=seed)


def test_prepare_checks_the_text():
    call = prepare(text="  hi there ", max_new_tokens=128, do_sample=False, temperature=0.7, guidance_scale=2.0,
                   seed=7, limits=None)
    assert call.inputs == "hi there"
    assert call.kwargs == {"max_new_tokens": 128, "do_sample": False, "temperature": 0.7, "guidance_scale": 2.0,
                           "seed": 7}
    with pytest.raises(UserError, match="Write some text"):
        prepare(text="   ")
    with pytest.raises(UserError, match="at most"):
        prepare(text="a" * (MAX_CHARACTERS + 1))


def test_present_makes_playable_audio():
    shown = present({"audio": np.array([[0.0, 2.0, -4.0]]), "sampling_rate": 16000}, text="hi", seed=0)
    assert set(shown) == {"audio"}
    rate, audio = shown["audio"]
    assert rate == 16000 and audio.dtype == np.int16 and audio.tolist() == [0, 16383, -32767]  # mono, never clipped
    rate, audio = present({"audio": np.zeros((2, 5)), "sampling_rate": 32000}, text="hi")["audio"]
    assert audio.shape == (5, 2)  # (channels, samples) -> (samples, channels)


def model_rate(folder: str) -> int:
    config = Path(folder) / "vocoder" / "config.json"
    return json.loads((config if config.exists() else Path(folder) / "config.json").read_text())["sampling_rate"]


@pytest.mark.parametrize("name", ["tiny-vits", "tiny-speecht5"])
def test_end_to_end_speech_at_the_models_rate(predict, tiny, name):
    model = tiny(TASK, name)
    out = say(predict, model)
    path, raw, status = out["audio"], out["raw"], out["status"]
    samples, rate = sf.read(path)
    assert rate == model_rate(model) == raw["sampling_rate"]
    assert samples.ndim == 1 and samples.size > 0 and np.isfinite(samples).all()
    assert name in status
    assert raw["applied"]["model_type"] in ("vits", "speecht5")
    assert "max_new_tokens" in raw["ignored"]  # generation parameters are MusicGen/Bark only, and it says so


def test_end_to_end_speecht5_uses_its_vocoder_and_a_voice(predict, tiny):
    raw = say(predict, tiny(TASK, "tiny-speecht5"))["raw"]
    assert raw["applied"]["voice"] == "random (seeded)"


def test_end_to_end_seed_makes_vits_repeatable_and_empty_text_is_refused(predict, tiny):
    from gradio_client.exceptions import AppError

    model = tiny(TASK, "tiny-vits")
    first, second = (sf.read(say(predict, model, seed=3)["audio"])[0] for _ in range(2))
    assert np.array_equal(first, second)
    with pytest.raises(AppError, match="Write some text"):
        say(predict, model, text="  ")
    assert sf.read(say(predict, model)["audio"])[0].size > 0


def test_end_to_end_musicgen_takes_the_generation_parameters(predict, tiny):
    model = tiny(TASK, "tiny-musicgen")
    out = say(predict, model, "lo-fi beat with a warm piano", tokens=16, guidance=2.0)
    short_path, raw, status = out["audio"], out["raw"], out["status"]
    long_path = say(predict, model, "lo-fi beat with a warm piano", tokens=48, guidance=2.0)["audio"]
    assert raw["applied"]["model_type"] == "musicgen" and raw["ignored"] == []
    assert raw["applied"]["max_new_tokens"] == 16 and raw["applied"]["guidance_scale"] == 2.0
    short, rate = sf.read(short_path)
    long, _ = sf.read(long_path)
    assert rate == 16000 and 0 < short.size < long.size  # more tokens, longer music (50 frames per second)
    assert "tiny-musicgen" in status
