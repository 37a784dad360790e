import threading
import time

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from tasks.any_to_any import prepare, present, run
from tests.tasks._omni_tiny import build_tiny_omni
from tests.tasks.test_image_text_to_text import build_tiny as build_tiny_llava

API = "/any_to_any"
TINY = (TinyModel("tiny-qwen-omni", build_tiny_omni),  # text, images, audio and video
        TinyModel("tiny-llava-images-only", build_tiny_llava))  # an any-to-any model that takes images only


def workers():
    return [t for t in threading.enumerate() if t.name == "stream-generate"]


def file(path):
    return {"type": "file", "file": {"path": path}}


def test_prepare_reads_every_kind_of_file_into_template_blocks(asset):
    history = [{"role": "user", "content": [file(asset("speech_short.wav")), {"type": "text", "text": "Who?"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "A voice."}]}]
    message = {"text": " And these? ", "files": [asset("chelsea.jpg"), asset("rocket.mp4")]}
    call = prepare(message, system=" Be brief. ", max_new_tokens=32, history=history)
    assert [turn["role"] for turn in call.inputs] == ["system", "user", "assistant", "user"]
    assert [[b["type"] for b in turn["content"]] for turn in call.inputs] == [
        ["text"], ["audio", "text"], ["text"], ["image", "video", "text"]]
    audio, (image, video, text) = call.inputs[1]["content"][0], call.inputs[3]["content"]
    assert audio["audio"].dtype == np.float32 and audio["sampling_rate"] > 0 and audio["audio"].size > audio["sampling_rate"] / 2
    assert image["image"].mode == "RGB" and video["video"].shape[0] == 8 and video["video"].shape[-1] == 3
    assert text == {"type": "text", "text": "And these?"} and call.inputs[0]["content"][0]["text"] == "Be brief."
    assert call.kwargs == {"max_new_tokens": 32, "do_sample": False}


def test_prepare_refuses_empty_messages_and_other_files(tmp_path):
    with pytest.raises(UserError, match="Type a message"):
        prepare({"text": "  ", "files": []})
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UserError, match="notes.txt is not an image or an audio or a video"):
        prepare({"text": "read this", "files": [str(notes)]})


def test_present_appends_the_turn_with_its_files(asset):
    chat = present({"generated_text": "A ro"}, message={"text": "What?", "files": [asset("rocket.mp4")]}, history=[])
    assert chat["history"] == [{"role": "user", "content": [{"path": asset("rocket.mp4")}, "What?"]},
                               {"role": "assistant", "content": "A ro"}]


def test_every_modality_reaches_the_model_and_the_stream_stops_on_close(tiny, asset):
    from transformers import pipeline

    pipe = pipeline("any-to-any", model=tiny("any-to-any", "tiny-qwen-omni"))
    answers = {}
    for kind, path in [("image", "chelsea.jpg"), ("audio", "speech_short.wav"), ("video", "rocket.mp4")]:
        *_, last = run(pipe, prepare({"text": "What is it?", "files": [asset(path)]}, max_new_tokens=6))
        answers[kind] = last["generated_text"]
    assert all(answers.values())
    stream = run(pipe, prepare({"text": "Tell me more", "files": [asset("chelsea.jpg"), asset("speech_short.wav")]},
                               max_new_tokens=1024))
    assert isinstance(next(stream)["generated_text"], str) and workers()
    stream.close()  # what gradio does on Stop
    assert not workers()


def test_end_to_end_a_conversation_of_image_audio_and_video(predict, tiny, asset):
    model = tiny("any-to-any", "tiny-qwen-omni")
    message = {"text": "What do you see and hear?",
               "files": [handle_file(asset("chelsea.jpg")), handle_file(asset("speech_short.wav"))]}
    out = predict("any-to-any", model=model, message=message, max_new_tokens=8)
    chat, raw, status = out["history"], out["raw"], out["status"]
    assert [turn["role"] for turn in chat] == ["user", "assistant"] and raw["generated_text"]
    assert sum(part.get("type") == "file" for part in chat[0]["content"]) == 2  # both files stay in the conversation
    assert "tiny-qwen-omni" in status
    for part in chat[0]["content"]:  # the client hands files back as local paths: send them as files again
        if part["type"] == "file":
            part["file"] = handle_file(part["file"])
    chat2 = predict("any-to-any", model=model, message={"text": "And this clip?", "files": [handle_file(asset("rocket.mp4"))]},
                    max_new_tokens=4, temperature=0.7, top_p=0.9, history=chat)["history"]
    assert [turn["role"] for turn in chat2] == ["user", "assistant", "user", "assistant"]


def test_end_to_end_streams_and_cancel_stops_generation(client, predict, named, tiny, asset):
    model = tiny("any-to-any", "tiny-qwen-omni")
    message = {"text": "Tell me a long story", "files": [handle_file(asset("speech_short.wav"))]}
    job = client.submit(model=model, message=message, max_new_tokens=1024, api_name=API)
    deadline = time.monotonic() + 60
    while len(job.outputs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    partial = [named("any-to-any", out)["raw"]["generated_text"] for out in job.outputs()]
    assert len(partial) >= 3 and all(b.startswith(a) for a, b in zip(partial, partial[1:]))  # the answer grows
    assert workers()
    job.cancel()
    deadline = time.monotonic() + 10
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers()
    assert predict("any-to-any", model=model, message={"text": "hi", "files": []}, max_new_tokens=4)["history"]


def test_a_file_the_model_cannot_take_is_a_plain_sentence(predict, tiny, asset):
    model = tiny("any-to-any", "tiny-llava-images-only")
    with pytest.raises(AppError, match="This model reads image, text; it cannot take audio"):
        predict("any-to-any", model=model, message={"text": "Hear?", "files": [handle_file(asset("speech_short.wav"))]})
    out = predict("any-to-any", model=model, message={"text": "See?", "files": [handle_file(asset("chelsea.jpg"))]},
                  max_new_tokens=4)
    assert out["history"][-1]["role"] == "assistant"
