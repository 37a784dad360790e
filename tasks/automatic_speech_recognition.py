"""Speech recognition: audio from the microphone or a file in, its transcript out."""

import gradio as gr

from runtime.media import load_audio, resample
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import save

CHARACTERS = list("abcdefghijklmnopqrstuvwxyz'")


def inputs():
    return [
        gr.Audio(
            label="Audio", type="filepath", sources=["microphone", "upload"],
            elem_id="automatic-speech-recognition-audio",
        )
    ]


def outputs():
    return [gr.Textbox(label="Transcript", lines=6, buttons=["copy"], elem_id="automatic-speech-recognition-text")]


def prepare(audio, limits=Limits()):
    samples, rate = load_audio(audio, limits.max_audio_seconds)
    return Call({"raw": samples, "sampling_rate": rate})


def run(pipe, call):
    """Resamples to the model's rate here (transformers would need torchaudio for it)."""
    target = pipe.feature_extractor.sampling_rate
    audio = call.inputs
    return pipe({"raw": resample(audio["raw"], audio["sampling_rate"], target), "sampling_rate": target}, **call.kwargs)


def present(result, *_):
    return (result["text"].strip(),)


def build_tiny(folder):
    import json

    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(["<pad>", "<unk>", "|", *CHARACTERS])}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=False)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, pad_token_id=0, ctc_loss_reduction="mean",
    )
    save(folder, Wav2Vec2ForCTC(config), Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer))


TASK = Task(
    name="automatic-speech-recognition",
    title="Speech recognition",
    modality="Audio",
    models=("openai/whisper-tiny", "openai/whisper-base", "facebook/wav2vec2-base-960h"),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    examples=(("assets/speech_short.wav",), ("assets/speech_long.ogg",)),
    tiny=(TinyModel("tiny-wav2vec2-ctc", build_tiny),),
    description="Whisper and wav2vec2-class recognisers: what was said.",
)
