"""Helpers the multimodal chats share: Gradio's messages (text and uploaded files) -> chat-template content blocks,
their generation settings, the streamed answer and the conversation shown."""

import contextlib

from runtime.errors import UserError
from runtime.media import load_audio, load_image
from runtime.spec import Limits

SUFFIXES = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"),
    "audio": (".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac"),
    "video": (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"),
}
VIDEO_FRAMES = 8  # frames taken evenly over a clip


def kind_of(path: str) -> str | None:
    """'image', 'audio' or 'video' by the file's suffix (a .webm without a picture is audio: a browser recording)."""
    kind = next((kind for kind, suffixes in SUFFIXES.items() if path.lower().endswith(suffixes)), None)
    if kind == "video" and path.lower().endswith(".webm"):
        import av

        try:
            with av.open(path) as container:
                kind = "video" if container.streams.video else "audio"
        except av.FFmpegError:
            pass  # the video decoder says what is wrong
    return kind


def path_of(file) -> str:
    return file if isinstance(file, str) else file["path"]


def to_template(role: str, content, limits: Limits, takes: tuple[str, ...] = ("image",)) -> dict:
    """One turn of the app's chat (text and {"type": "file"} blocks, or bare strings) as a template's turn: images as
    PIL images, audio as {"audio": samples, "sampling_rate": rate} (see `at_rate`), video as evenly spread frames."""
    blocks = []
    for part in content if isinstance(content, list) else [content]:
        if isinstance(part, str):
            part = {"type": "text", "text": part}
        if part.get("type") == "text" and part["text"].strip():
            blocks.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "file":
            path = path_of(part["file"])
            kind = kind_of(path)
            if kind not in takes:
                name = path.rsplit("/", 1)[-1]
                raise UserError(f"{name} is not {' or '.join(f'an {k}' if k[0] in 'aeiou' else f'a {k}' for k in takes)}"
                                f"; this chat takes {', '.join(takes)} and text.")
            blocks.append(read(kind, path, limits))
    return {"role": role, "content": blocks}


def read(kind: str, path: str, limits: Limits) -> dict:
    if kind == "image":
        return {"type": "image", "image": load_image(path, limits.max_image_side)}
    if kind == "audio":
        samples, rate = load_audio(path, limits.max_audio_seconds)
        return {"type": "audio", "audio": samples, "sampling_rate": rate}
    from tasks.video_classification import count_frames, sample_frames

    return {"type": "video", "video": sample_frames(path, count_frames(path), VIDEO_FRAMES)}


def at_rate(chat: list[dict], rate: int) -> list[dict]:
    """The chat with its audio resampled to the model's rate (the processor takes samples at its own rate only)."""
    from runtime.media import resample

    def block(part):
        if part.get("type") != "audio":
            return part
        return {"type": "audio", "audio": resample(part["audio"], part["sampling_rate"], rate)}

    return [{**turn, "content": [block(part) for part in turn["content"]]} for turn in chat]


def shown_turn(message) -> list:
    """The user's turn as the conversation shows it: the files, then the text."""
    files = (message or {}).get("files") or []
    return [*({"path": path_of(f)} for f in files), *([message["text"]] if message.get("text") else [])]


def sampling(temperature: float, top_p: float) -> dict:
    """generate()'s sampling settings from the sliders: greedy at temperature 0."""
    if temperature > 0:
        return {"do_sample": True, "temperature": float(temperature), "top_p": float(top_p)}
    return {"do_sample": False}


def stream_answer(pipe, chat: list[dict], settings: dict):
    """Streams {"generated_text": answer so far}; closing it (Stop) closes the token stream, which ends generation."""
    from runtime.streaming import stream_text

    def generate(inputs, **generate_kwargs):  # both pipelines take generate()'s settings, streamer included, only here
        return pipe(inputs, generate_kwargs=generate_kwargs)

    with contextlib.closing(stream_text(generate, chat, settings, tokenizer=pipe.processor.tokenizer)) as texts:
        for text in texts:
            yield {"generated_text": text}  # a dict: the raw JSON view reads a bare string as JSON text


def present(result, message, history=None, **_):
    """The conversation with the user's turn and the answer so far appended."""
    turns = [{"role": "user", "content": shown_turn(message)}, {"role": "assistant", "content": result["generated_text"]}]
    return {"history": [*(history or []), *turns]}
