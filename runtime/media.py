"""Turns uploaded files into what models take: RGB images of a sane size, mono float32 audio at the model's rate."""

from pathlib import Path

import numpy as np

from .errors import UserError


def load_image(path, max_side: int = 2048):
    """An RGB PIL image, EXIF orientation applied, its longer side at most max_side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if path is None or path == "":
        raise UserError("Add an image first: upload, drag and drop, paste or take one with the webcam.")
    if isinstance(path, Image.Image):
        image = path
    else:
        try:
            image = Image.open(path)
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise UserError("That file is not an image this app can read (try a PNG or JPEG).") from error
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        # RGBA/LA/P-with-transparency go onto white; CMYK, greyscale and palettes convert directly
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            image = image.convert("RGBA")
            background = Image.new("RGBA", image.size, "white")
            image = Image.alpha_composite(background, image)
        image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def load_audio(source, max_seconds: float = 600.0) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sampling rate) from a file path or a gradio (rate, array) pair."""
    if source is None or source == "":
        raise UserError("Add some audio first: record with the microphone or upload a file.")
    if isinstance(source, tuple):
        rate, samples = source
        samples = _to_float(np.asarray(samples))
    else:
        samples, rate = _decode(str(source))
    if samples.ndim == 2:
        samples = samples.mean(axis=1)  # stereo -> mono
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if samples.size == 0:
        raise UserError("The audio is empty (zero length).")
    seconds = samples.size / rate
    if seconds > max_seconds:
        raise UserError(f"The audio is {seconds:.0f} s long; this server takes at most {max_seconds:.0f} s.")
    if float(np.abs(samples).max()) < 1e-4:
        raise UserError("The audio is silent: nothing was recorded, or the microphone is muted.")
    return samples, int(rate)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """The same sound at the target rate (soxr: torchaudio is not usable here)."""
    if rate == target:
        return samples
    import soxr

    return soxr.resample(samples, rate, target).astype(np.float32)


def _to_float(samples: np.ndarray) -> np.ndarray:
    if np.issubdtype(samples.dtype, np.integer):
        return samples.astype(np.float32) / np.iinfo(samples.dtype).max
    return samples.astype(np.float32)


def _decode(path: str) -> tuple[np.ndarray, int]:
    """libsndfile reads WAV, FLAC, OGG and MP3; anything else (M4A/AAC, WebM/Opus, ...) goes through PyAV, at the
    file's own sampling rate (the task resamples to its model's: a 48 kHz model keeps everything up to 24 kHz)."""
    import soundfile

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
        return samples, rate
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        pass
    if not Path(path).is_file():  # a URL or a device must never reach the decoder, which would open it
        raise UserError(NOT_AUDIO)
    import av

    try:
        with av.open(path) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise UserError(NOT_AUDIO)
            rate = stream.rate or stream.codec_context.sample_rate
            mono = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(stream) for out in mono.resample(frame)]
            chunks += [out.to_ndarray().reshape(-1) for out in mono.resample(None)]  # what the resampler held back
    except (av.FFmpegError, ValueError, StopIteration) as error:
        raise UserError(NOT_AUDIO) from error
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)), int(rate)


NOT_AUDIO = "That file is not audio this app can read (try WAV, FLAC, OGG, MP3 or M4A)."
