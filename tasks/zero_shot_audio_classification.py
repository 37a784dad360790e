"""Zero-shot audio classification: a sound in and labels you write, ranked by how well they describe it (CLAP)."""

import gradio as gr

from runtime.errors import UserError
from runtime.media import load_audio, resample
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import save


def inputs():
    return {
        "audio": gr.Audio(
            label="Audio", type="filepath", sources=["microphone", "upload"],
            elem_id="zero-shot-audio-classification-audio",
        ),
        "labels": gr.Textbox(
            label="Candidate labels", placeholder="dog barking, speech, music", value="speech, music, birdsong",
            info="Comma-separated", elem_id="zero-shot-audio-classification-labels-input",
        ),
    }


def params():
    return {
        "template": gr.Textbox(
            label="Hypothesis template", value="This is a sound of {}.", info="{} is replaced by each label",
            elem_id="zero-shot-audio-classification-template",
        )
    }


def outputs():
    return {"scores": gr.Label(label="Labels", elem_id="zero-shot-audio-classification-labels")}


def candidate_labels(text: str) -> list[str]:
    labels = list(dict.fromkeys(label.strip() for label in (text or "").split(",") if label.strip()))
    if len(labels) < 2:
        raise UserError("Write at least two candidate labels, separated by commas (e.g. dog barking, speech).")
    return labels


def prepare(audio, labels, template="This is a sound of {}.", limits=Limits()):
    samples, rate = load_audio(audio, limits.max_audio_seconds)
    template = (template or "").strip() or "This is a sound of {}."
    if "{}" not in template:
        raise UserError("The hypothesis template needs a {} where the label goes, e.g. 'This is a sound of {}.'")
    kwargs = {"candidate_labels": candidate_labels(labels), "hypothesis_template": template}
    return Call({"raw": samples, "sampling_rate": rate}, kwargs)


def run(pipe, call, progress=None):
    """CLAP's pipeline takes a bare array already at the model's rate, not the {raw, sampling_rate} dict."""
    audio = call.inputs
    return pipe(resample(audio["raw"], audio["sampling_rate"], pipe.feature_extractor.sampling_rate), **call.kwargs)


def present(result, **_):
    return {"scores": {row["label"]: row["score"] for row in result}}


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


TASK = Task(
    name="zero-shot-audio-classification",
    title="Zero-shot audio classification",
    modality="Audio",
    models=("laion/clap-htsat-unfused", "laion/larger_clap_general", "laion/clap-htsat-fused"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    batchable=True,  # every clip becomes features of one shape: any clips share a batch
    examples=(
        {"audio": "assets/chirp.wav", "labels": "a rising tone, speech, a dog barking"},
        {"audio": "assets/speech_short.wav", "labels": "a man speaking, music, rain"},
    ),
    tiny=(TinyModel("tiny-clap", build_tiny),),
    description="CLAP models: score any labels you write against a sound, no training needed.",
)
