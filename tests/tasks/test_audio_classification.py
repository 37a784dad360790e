import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.audio_classification import batch_group, prepare, present

TASK = "audio-classification"
LABELS = ("speech", "music", "dog bark", "siren", "silence")


def build_tiny(folder):
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, conv_dim=(16, 16),
        conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        classifier_proj_size=16, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)},
    )
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=False)
    save(folder, Wav2Vec2ForSequenceClassification(config), extractor)


TINY = (TinyModel("tiny-wav2vec2-classifier", build_tiny),)


def test_prepare_decodes_and_passes_top_k(asset):
    call = prepare(audio=asset("chirp.wav"), top_k=3)
    assert call.inputs["sampling_rate"] == 16000 and call.inputs["raw"].dtype == np.float32
    assert call.kwargs == {"top_k": 3}


def test_prepare_refuses_missing_and_empty_audio(tmp_path):
    with pytest.raises(UserError, match="Add some audio"):
        prepare(audio=None)
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(UserError, match="empty"):
        prepare(audio=str(tmp_path / "empty.wav"))


def test_present_maps_labels_to_scores():
    assert present([{"label": "dog", "score": 0.7}, {"label": "cat", "score": 0.3}], audio="x.wav", top_k=5) == {
        "labels": {"dog": 0.7, "cat": 0.3}}


def test_clips_of_other_lengths_share_a_batch_only_where_the_model_cannot_see_the_padding(tiny, asset):
    from types import SimpleNamespace

    from transformers import ASTFeatureExtractor, Wav2Vec2FeatureExtractor, pipeline

    short, longer = prepare(audio=asset("chirp.wav")), prepare(audio=asset("speech_short.wav"))
    no_mask = pipeline("audio-classification", model=tiny("audio-classification"))  # wav2vec2, no attention mask
    assert batch_group(no_mask, short) == len(short.inputs["raw"]) != batch_group(no_mask, longer)
    same = prepare(audio=asset("chirp.wav"))
    assert batch_group(no_mask, short) == batch_group(no_mask, same)  # one length: one group
    masked = SimpleNamespace(feature_extractor=Wav2Vec2FeatureExtractor(return_attention_mask=True))
    fixed = SimpleNamespace(feature_extractor=ASTFeatureExtractor())  # every clip becomes 1,024 frames
    for pipe in (masked, fixed):
        assert batch_group(pipe, short) is None and batch_group(pipe, longer) is None


def test_end_to_end_ranked_labels(predict, tiny, asset):
    out = predict(TASK, model=tiny(TASK), audio=handle_file(asset("chirp.wav")), top_k=3)
    labels, raw, status = out["labels"], out["raw"], out["status"]
    assert labels["label"] in LABELS and len(labels["confidences"]) == 3
    scores = [c["confidence"] for c in labels["confidences"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert {row["label"] for row in raw} <= set(LABELS) and len(raw) == 3
    assert "tiny-wav2vec2-classifier" in status


def test_end_to_end_44k_stereo_and_bad_input(predict, tiny, tmp_path):
    from gradio_client.exceptions import AppError

    rate = 44100
    sf.write(tmp_path / "stereo.wav", np.random.default_rng(1).uniform(-0.3, 0.3, (rate, 2)).astype(np.float32), rate)
    raw = predict(TASK, model=tiny(TASK), audio=handle_file(str(tmp_path / "stereo.wav")), top_k=5)["raw"]
    assert {row["label"] for row in raw} == set(LABELS)
    sf.write(tmp_path / "silence.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(AppError, match="silent"):
        predict(TASK, model=tiny(TASK), audio=handle_file(str(tmp_path / "silence.wav")), top_k=5)
    labels = predict(TASK, model=tiny(TASK), audio=handle_file(str(tmp_path / "stereo.wav")), top_k=1)["labels"]
    assert len(labels["confidences"]) == 1
