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


@pytest.mark.parametrize("rate", [48000, 22050])
def test_m4a_decodes_at_its_own_rate_keeping_its_high_frequencies(tmp_path, rate):
    """AAC in M4A is decoded (PyAV, no ffmpeg binary needed) at the file's rate: a 12 kHz tone in a 48 kHz file
    survives for a 48 kHz model (CLAP), where decoding at a fixed 16 kHz kept nothing above 8 kHz."""
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg makes the M4A file here (packages.txt installs it)")
    tone_hz = 12000 if rate == 48000 else 6000
    t = np.arange(rate) / rate
    sf.write(tmp_path / "tone.wav", (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32), rate)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(tmp_path / "tone.wav"), "-c:a", "aac",
                    "-b:a", "192k", str(tmp_path / "tone.m4a")], check=True, timeout=60)
    samples, got = load_audio(str(tmp_path / "tone.m4a"))
    assert got == rate and abs(samples.size - rate) < 0.05 * rate
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * rate / samples.size - tone_hz) < 50


def test_a_file_that_is_no_audio_is_said_plainly(tmp_path):
    (tmp_path / "notes.m4a").write_text("not a recording")
    with pytest.raises(UserError, match="not audio this app can read"):
        load_audio(str(tmp_path / "notes.m4a"))
