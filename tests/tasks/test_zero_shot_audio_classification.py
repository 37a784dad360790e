import subprocess

import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.zero_shot_audio_classification import candidate_labels, prepare, present

TASK = "zero-shot-audio-classification"


def build_tiny(folder):
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, ClapTextConfig

    from runtime.tiny import bpe_tokenizer

    tokenizer = bpe_tokenizer(model_max_length=64)
    text = ClapTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        projection_dim=32, max_position_embeddings=80,
    )
    audio = ClapAudioConfig(  # spec_size // num_mel_bins is the freq ratio: 128 // 16 = 8 crops of 601 frames fit
        window_size=4, num_mel_bins=16, spec_size=128, patch_size=4, patch_stride=(4, 4), patch_embeds_hidden_size=16,
        hidden_size=32, depths=[1, 1], num_attention_heads=[2, 2], enable_fusion=False, projection_dim=32,
    )
    config = ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=32)
    extractor = ClapFeatureExtractor(
        feature_size=16, sampling_rate=16000, hop_length=160, max_length_s=6, fft_window_size=400, frequency_max=8000,
        truncation="rand_trunc", padding="repeatpad",  # the examples fit whole; longer clips: a random crop, as CLAP's
    )
    save(folder, ClapModel(config), ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer))


TINY = (TinyModel("tiny-clap", build_tiny),)


def test_candidate_labels_are_split_trimmed_and_deduplicated():
    assert candidate_labels(" dog, speech ,,dog, music ") == ["dog", "speech", "music"]
    with pytest.raises(UserError, match="at least two"):
        candidate_labels("dog")


def test_prepare_builds_the_call(asset):
    call = prepare(audio=asset("chirp.wav"), labels="tone, speech", template="A sound of {}.")
    assert call.kwargs == {"candidate_labels": ["tone", "speech"], "hypothesis_template": "A sound of {}."}
    assert call.inputs["sampling_rate"] == 16000
    with pytest.raises(UserError, match="needs a {}"):
        prepare(audio=asset("chirp.wav"), labels="tone, speech", template="no placeholder")


def test_present_maps_labels_to_scores():
    result = [{"label": "a", "score": 0.6}, {"label": "b", "score": 0.4}]
    assert present(result, audio="x.wav", labels="a, b", template="{}") == {"scores": {"a": 0.6, "b": 0.4}}


def test_end_to_end_ranks_exactly_the_candidate_labels(predict, tiny, asset, tmp_path):
    wanted = ["a rising tone", "speech", "a dog barking"]
    mp3 = tmp_path / "chirp.mp3"  # a compressed upload, decoded and resampled to the model's rate by the app
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", asset("chirp.wav"), "-ar", "44100", str(mp3)],
                   check=True)
    out = predict(TASK, model=tiny(TASK), audio=handle_file(str(mp3)), labels=", ".join(wanted),
                  template="This is a sound of {}.")
    labels, raw, status = out["scores"], out["raw"], out["status"]
    assert sorted(row["label"] for row in raw) == sorted(wanted)
    scores = [row["score"] for row in raw]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-4  # a softmax over the labels
    assert labels["label"] == raw[0]["label"] and "tiny-clap" in status


def test_end_to_end_one_label_is_refused_then_the_next_request_works(predict, tiny, asset):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="at least two candidate labels"):
        predict(TASK, model=tiny(TASK), audio=handle_file(asset("chirp.wav")), labels="dog", template="{}")
    raw = predict(TASK, model=tiny(TASK), audio=handle_file(asset("speech_short.wav")), labels="speech, music",
                  template="{}")["raw"]
    assert {row["label"] for row in raw} == {"speech", "music"}
