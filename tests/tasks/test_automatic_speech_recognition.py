import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file

from runtime.errors import UserError
from tasks.automatic_speech_recognition import prepare, present


def test_prepare_decodes_to_mono_float_at_file_rate(tmp_path):
    rate = 44100
    t = np.arange(rate) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1) * 0.5
    sf.write(tmp_path / "stereo.wav", stereo, rate)
    call = prepare(str(tmp_path / "stereo.wav"))
    assert call.inputs["sampling_rate"] == rate
    assert call.inputs["raw"].dtype == np.float32 and call.inputs["raw"].shape == (rate,)


def test_prepare_refuses_missing_and_silent_audio(tmp_path):
    with pytest.raises(UserError, match="Add some audio"):
        prepare(None)
    sf.write(tmp_path / "silence.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(UserError, match="silent"):
        prepare(str(tmp_path / "silence.wav"))


def test_present_strips_the_transcript():
    assert present({"text": "  hello world "}) == ("hello world",)


def test_end_to_end(client, tiny, asset):
    text, raw, status = client.predict(
        tiny("automatic-speech-recognition"), handle_file(asset("speech_short.wav")),
        api_name="/automatic_speech_recognition",
    )
    assert isinstance(text, str) and text == raw["text"].strip()
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz' <unk>")  # the tiny model's own vocabulary
    assert "tiny-wav2vec2-ctc" in status and "cpu" in status


def test_end_to_end_44k_stereo_is_resampled(client, tiny, tmp_path):
    rate = 44100
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, (rate * 2, 2)).astype(np.float32)
    sf.write(tmp_path / "stereo44k.wav", noise, rate)
    text, raw, _ = client.predict(
        tiny("automatic-speech-recognition"), handle_file(str(tmp_path / "stereo44k.wav")),
        api_name="/automatic_speech_recognition",
    )
    assert isinstance(raw["text"], str)
