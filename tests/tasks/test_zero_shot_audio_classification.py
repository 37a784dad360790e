import subprocess

import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from tasks.zero_shot_audio_classification import candidate_labels, prepare, present

API = "/zero_shot_audio_classification"


def test_candidate_labels_are_split_trimmed_and_deduplicated():
    assert candidate_labels(" dog, speech ,,dog, music ") == ["dog", "speech", "music"]
    with pytest.raises(UserError, match="at least two"):
        candidate_labels("dog")


def test_prepare_builds_the_call(asset):
    call = prepare(asset("chirp.wav"), "tone, speech", "A sound of {}.")
    assert call.kwargs == {"candidate_labels": ["tone", "speech"], "hypothesis_template": "A sound of {}."}
    assert call.inputs["sampling_rate"] == 16000
    with pytest.raises(UserError, match="needs a {}"):
        prepare(asset("chirp.wav"), "tone, speech", "no placeholder")


def test_present_maps_labels_to_scores():
    assert present([{"label": "a", "score": 0.6}, {"label": "b", "score": 0.4}]) == ({"a": 0.6, "b": 0.4},)


def test_end_to_end_ranks_exactly_the_candidate_labels(client, tiny, asset, tmp_path):
    wanted = ["a rising tone", "speech", "a dog barking"]
    mp3 = tmp_path / "chirp.mp3"  # a compressed upload, decoded and resampled to the model's rate by the app
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", asset("chirp.wav"), "-ar", "44100", str(mp3)],
                   check=True)
    labels, raw, status = client.predict(
        tiny("zero-shot-audio-classification"), handle_file(str(mp3)), ", ".join(wanted), "This is a sound of {}.",
        api_name=API,
    )
    assert sorted(row["label"] for row in raw) == sorted(wanted)
    scores = [row["score"] for row in raw]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-4  # a softmax over the labels
    assert labels["label"] == raw[0]["label"] and "tiny-clap" in status


def test_end_to_end_one_label_is_refused_then_the_next_request_works(client, tiny, asset):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="at least two candidate labels"):
        client.predict(tiny("zero-shot-audio-classification"), handle_file(asset("chirp.wav")), "dog", "{}", api_name=API)
    _, raw, _ = client.predict(tiny("zero-shot-audio-classification"), handle_file(asset("speech_short.wav")),
                               "speech, music", "{}", api_name=API)
    assert {row["label"] for row in raw} == {"speech", "music"}
