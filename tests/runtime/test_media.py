import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from runtime.errors import UserError
from runtime.media import load_audio, load_image, resample


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), "red")
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert load_image(tmp_path / "rotated.jpg").size == (20, 40)


def test_transparency_goes_onto_white_and_big_images_shrink(tmp_path):
    Image.new("RGBA", (3000, 1500), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    image = load_image(tmp_path / "clear.png", max_side=1000)
    assert image.mode == "RGB" and image.size == (1000, 500)
    assert image.getpixel((10, 10)) == (255, 255, 255)


def test_truncated_image_is_a_clear_error(tmp_path, asset):
    data = open(asset("chelsea.jpg"), "rb").read()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(UserError, match="not an image"):
        load_image(tmp_path / "cut.jpg")


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_audio_formats_decode_to_mono(tmp_path, fmt):
    rate = 22050
    tone = 0.4 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    sf.write(tmp_path / f"tone.{fmt}", np.stack([tone, tone], axis=1), rate)
    samples, got = load_audio(str(tmp_path / f"tone.{fmt}"))
    assert got == rate and samples.ndim == 1 and samples.dtype == np.float32
    assert abs(len(samples) - rate) < 0.01 * rate


def test_gradio_numpy_pairs_and_limits():
    samples, rate = load_audio((8000, (np.ones(8000) * 1000).astype(np.int16)))
    assert rate == 8000 and samples.max() == pytest.approx(1000 / 32767)
    with pytest.raises(UserError, match="at most 1 s"):
        load_audio((8000, np.ones(16000, np.float32)), max_seconds=1)
    with pytest.raises(UserError, match="empty"):
        load_audio((8000, np.zeros(0, np.float32)))


def test_not_audio_is_a_clear_error(tmp_path):
    (tmp_path / "notes.wav").write_text("hello")
    with pytest.raises(UserError, match="not audio"):
        load_audio(str(tmp_path / "notes.wav"))


def test_resample_keeps_duration_and_pitch():
    rate, target = 44100, 16000
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
    out = resample(tone, rate, target)
    assert len(out) == target
    peak = np.argmax(np.abs(np.fft.rfft(out)))  # 1 Hz per bin for a 1 s clip
    assert abs(peak - 440) <= 2


def test_the_example_assets_are_playable_so_start_up_need_not_probe_them(monkeypatch, config, models, tmp_path):
    """build_demo answers gradio's 'can a browser play this?' for assets/ without ffprobe (~0.7 s of start-up):
    true of every audio and video asset by gradio's own probe, and no probe runs while the UI is built."""
    from gradio import processing_utils

    from app import build_demo
    from runtime.media import ASSETS, trust_example_assets

    trust_example_assets()
    for path in ASSETS.iterdir():
        if path.suffix in (".wav", ".ogg", ".flac", ".mp3"):
            assert processing_utils.audio_is_playable.probe(str(path)), path
        elif path.suffix in (".mp4", ".webm"):
            assert processing_utils.video_is_playable.probe(str(path)), path
    probes = []
    real = processing_utils.FFprobe
    monkeypatch.setattr(processing_utils, "FFprobe", lambda *a, **k: probes.append(k) or real(*a, **k))
    build_demo(config, models)
    assert probes == []
    sf.write(tmp_path / "tone.wav", np.zeros(800, dtype=np.float32), 8000)  # anything else is still probed
    assert processing_utils.audio_is_playable(str(tmp_path / "tone.wav")) and len(probes) == 1
