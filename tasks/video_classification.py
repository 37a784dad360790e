"""Video classification: a short clip in, what is happening in it as labels with scores."""

from runtime.errors import UserError
from runtime.spec import Call, Task


def inputs():
    import gradio as gr

    return {"video": gr.Video(label="Video", sources=["upload", "webcam"], elem_id="video-classification-video")}


def params():
    import gradio as gr

    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="video-classification-top-k")}


def outputs():
    import gradio as gr

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


def snippet(context) -> str:
    """Plain transformers: the model's frames decoded with PyAV, evenly spread over the clip, as `run` does."""
    import os

    from runtime.snippets import generic, literal, load_lines, written

    kwargs = dict(context.call.kwargs)
    total = kwargs.pop("frames")
    if not context.files:
        return generic(context)
    written_kwargs = "".join(f", {k}={literal(v)}" for k, v in kwargs.items())
    return written([
        *load_lines(context), "wanted = pipe.model.config.num_frames",
        f"picks = numpy.linspace(0, {total} - 1, wanted).round().astype(int).tolist()  # spread over the clip's {total} frames",
        f"with av.open({os.path.basename(context.files[0])!r}) as container:",
        "    frames = [f.to_ndarray(format='rgb24') for i, f in enumerate(container.decode(video=0)) if i in picks]",
        "frames += frames[-1:] * (wanted - len(frames))  # two picks of one frame: the last one again",
        f"result = pipe(numpy.stack(frames), num_frames=wanted{written_kwargs})", "print(result)"],
        [], ["import av", "import numpy", "from transformers import pipeline"])


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result}}


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
    snippet=snippet,
    requires=("av",),  # the pipeline decodes videos with PyAV
    examples=({"video": "assets/rocket.mp4"}, {"video": "assets/astronaut.mp4"}),
    description="VideoMAE and TimeSformer (Kinetics-400 actions): what is happening in a short clip.",
)
