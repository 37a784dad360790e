import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.video_classification import count_frames, prepare, present, sample_frames

LABELS = ("launching a rocket", "drinking coffee", "petting a cat", "waving")


def build_tiny_videomae(folder):
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEImageProcessor

    config = VideoMAEConfig(
        image_size=32, patch_size=8, num_frames=4, tubelet_size=2, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=37, id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    processor = VideoMAEImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    save(folder, VideoMAEForVideoClassification(config), processor)


TINY = (TinyModel("tiny-videomae", build_tiny_videomae),)


def write_clip(path, frames: int, size=(64, 48)):
    """A small H.264 MP4 whose frame i is filled with the grey level i (so sampled frames can be told apart)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        for i in range(frames):
            image = np.full((size[1], size[0], 3), i * 10, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return str(path)


def test_prepare_counts_frames_and_refuses_non_videos(tmp_path, asset):
    assert prepare(video=asset("rocket.mp4"), top_k=3, limits=None).kwargs == {"top_k": 3, "frames": 24}
    with pytest.raises(UserError, match="Add a video"):
        prepare(video=None, top_k=3, limits=None)
    with pytest.raises(UserError, match="not a video"):
        count_frames(_text_file(tmp_path))


def _text_file(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    return str(path)


def test_sample_frames_spreads_over_the_whole_clip(tmp_path):
    clip = write_clip(tmp_path / "ramp.mp4", 20)
    frames = sample_frames(clip, 20, 4)
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.uint8
    levels = frames.reshape(4, -1).mean(axis=1)
    assert levels[0] < 15 and levels[-1] > 175  # the first and the last frame, not the first four
    assert list(levels) == sorted(levels)


def test_present_labels_with_scores():
    rows = [{"label": "waving", "score": 0.6}, {"label": "petting a cat", "score": 0.4}]
    assert present(rows, video="clip.mp4", top_k=2) == {"labels": {"waving": 0.6, "petting a cat": 0.4}}


def test_end_to_end_labels_from_the_model(predict, tiny, asset):
    out = predict("video-classification", model=tiny("video-classification"), video=handle_file(asset("rocket.mp4")),
                  top_k=3)
    label, raw, status = out["labels"], out["raw"], out["status"]
    assert len(label["confidences"]) == 3 and {c["label"] for c in label["confidences"]} <= set(LABELS)
    assert [c["confidence"] for c in label["confidences"]] == pytest.approx([r["score"] for r in raw], abs=1e-5)
    assert "tiny-videomae" in status


def test_bad_videos_are_refused_then_next_request_works(predict, tiny, tmp_path, asset):
    model = tiny("video-classification")
    short = write_clip(tmp_path / "short.mp4", 2)
    with pytest.raises(AppError, match="too short: this model looks at 4 frames, the video has 2"):
        predict("video-classification", model=model, video=handle_file(short), top_k=3)
    data = open(asset("rocket.mp4"), "rb").read()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    for bad in (_text_file(tmp_path), str(truncated)):
        with pytest.raises(AppError, match="not a video this app can read|damaged or cut off"):
            predict("video-classification", model=model, video=handle_file(bad), top_k=3)
    out = predict("video-classification", model=model, video=handle_file(asset("astronaut.mp4")), top_k=2)
    assert len(out["labels"]["confidences"]) == 2
