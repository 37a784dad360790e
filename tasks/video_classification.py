"""Video classification: a short clip in, what is happening in it as labels with scores."""

import gradio as gr

from runtime.errors import UserError
from runtime.spec import Call, Task, TinyModel
from runtime.tiny import save

LABELS = ("launching a rocket", "drinking coffee", "petting a cat", "waving")


def inputs():
    return {"video": gr.Video(label="Video", sources=["upload", "webcam"], elem_id="video-classification-video")}


def params():
    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="video-classification-top-k")}


def outputs():
    return {"labels": gr.Label(label="Labels", elem_id="video-classification-labels")}


def count_frames(path) -> int:
    """Frames in the file's first video stream; a plain message when it is not a video PyAV can read."""
    import av

    if path is None or path == "":
        raise UserError("Add a video first: upload one or record with the webcam.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise UserError("That file has no video in it.")
            stream = container.streams.video[0]
            return stream.frames or sum(1 for _ in container.decode(stream))  # some containers do not say
    except av.FFmpegError as error:
        raise UserError("That file is not a video this app can read (try MP4 or WebM).") from error


def prepare(video, top_k=5, limits=None):
    return Call(str(video) if video else video, {"top_k": int(top_k), "frames": count_frames(video)})


def run(pipe, call, progress=None):
    """Decodes the model's frames evenly spread over the whole clip with PyAV (the pipeline's own decoder would
    need torchcodec, and takes only the first few frames)."""
    kwargs = dict(call.kwargs)
    frames, wanted = kwargs.pop("frames"), pipe.model.config.num_frames
    if frames < wanted:
        raise UserError(f"The video is too short: this model looks at {wanted} frames, the video has {frames}.")
    return pipe(sample_frames(call.inputs, frames, wanted), num_frames=wanted, **kwargs)


def sample_frames(path, total: int, wanted: int):
    """`wanted` RGB frames (a frames x height x width x 3 uint8 array) evenly spaced over `total`."""
    import av
    import numpy as np

    picks = set(np.linspace(0, total - 1, wanted).round().astype(int).tolist())
    frames = []
    try:
        with av.open(str(path)) as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in picks:
                    frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) == len(picks):
                    break
    except av.FFmpegError as error:
        raise UserError("The video is damaged or cut off: it could not be decoded to the end.") from error
    if not frames:
        raise UserError("The video is damaged or cut off: no frame of it could be decoded.")
    while len(frames) < wanted:  # rounding merged two picks, or the stream ended early: repeat the last frame
        frames.append(frames[-1])
    return np.stack(frames)


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result}}


def build_tiny_videomae(folder):
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEImageProcessor

    config = VideoMAEConfig(
        image_size=32, patch_size=8, num_frames=4, tubelet_size=2, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=37, id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    processor = VideoMAEImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    save(folder, VideoMAEForVideoClassification(config), processor)


TASK = Task(
    name="video-classification",
    title="Video classification",
    modality="Vision",
    models=("MCG-NJU/videomae-base-finetuned-kinetics", "facebook/timesformer-base-finetuned-k400"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    requires=("av",),  # the pipeline decodes videos with PyAV
    examples=({"video": "assets/rocket.mp4"}, {"video": "assets/astronaut.mp4"}),
    tiny=(TinyModel("tiny-videomae", build_tiny_videomae),),
    description="VideoMAE and TimeSformer (Kinetics-400 actions): what is happening in a short clip.",
)
