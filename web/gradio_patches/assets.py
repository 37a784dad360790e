"""gradio runs ffprobe on every audio and video example at start-up; the app's own assets need no probe."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PROBES = ("audio_is_playable", "video_is_playable")


def shape_ok() -> bool:
    """gradio.processing_utils still answers whether a browser can play a file through these two functions."""
    from gradio import processing_utils

    return all(callable(getattr(processing_utils, name, None)) for name in PROBES)


def trust_example_assets() -> None:
    """Gradio probes every audio and video example at start-up, to see whether a browser can play it (here 10
    probes, ~0.7 s of the ~2 s the UI took to build). The app's own assets are known to be playable
    (tests/web/test_gradio_patches.py checks each with gradio's real probe), so for files in assets/ the answer is
    given without a probe; every other file (a visitor's upload, a model's output) is probed as before."""
    from gradio import processing_utils

    for name in PROBES:
        probe = getattr(processing_utils, name)
        if getattr(probe, "trusts_assets", False):
            continue

        def playable(path, probe=probe) -> bool:
            if Path(path).resolve().is_relative_to(ASSETS):
                return True
            return probe(path)

        playable.trusts_assets, playable.probe = True, probe
        setattr(processing_utils, name, playable)
