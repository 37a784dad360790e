"""Audio classification: a sound or a voice in (microphone or file), its labels ranked by score out."""

import weakref

import numpy as np

from runtime.media import load_audio, resample
from runtime.remote import as_pipeline
from runtime.spec import Call, Limits, Task


def inputs():
    import gradio as gr

    return {
        "audio": gr.Audio(
            label="Audio", type="filepath", sources=["upload", "microphone"], elem_id="audio-classification-audio",
        )
    }


def params():
    import gradio as gr

    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="audio-classification-top-k")}


def outputs():
    import gradio as gr

    return {"labels": gr.Label(label="Labels", elem_id="audio-classification-labels")}


def prepare(audio, top_k=5, limits=Limits()):
    samples, rate = load_audio(audio, limits.max_audio_seconds)
    return Call({"raw": samples, "sampling_rate": rate}, {"top_k": int(top_k)})


def run(pipe, call, progress=None):
    """Resamples to the model's rate here (transformers would need torchaudio for it)."""
    target = pipe.feature_extractor.sampling_rate
    audio = call.inputs
    return pipe({"raw": resample(audio["raw"], audio["sampling_rate"], target), "sampling_rate": target}, **call.kwargs)


_MIXES_LENGTHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # feature extractor -> bool


def batch_group(pipe, call):
    """Clips of any length share a batch where the model cannot see the batch's padding: its feature extractor
    brings every clip to one shape (AST: 1,024 frames) or masks the padding. Otherwise (wav2vec2-base, HuBERT: no
    mask) only clips of one length do: the zeros padding a shorter clip would change its scores."""
    extractor = pipe.feature_extractor
    if extractor not in _MIXES_LENGTHS:
        rate = extractor.sampling_rate
        short, longer = (extractor(np.zeros(n, np.float32), sampling_rate=rate, return_tensors="np")
                         for n in (rate // 10, rate // 5))
        _MIXES_LENGTHS[extractor] = "attention_mask" in short or all(
            short[name].shape == longer[name].shape for name in short)
    return None if _MIXES_LENGTHS[extractor] else len(call.inputs["raw"])


def snippet(context) -> str:
    """Plain transformers: the file read and resampled to the model's rate as `run` does, then the pipeline."""
    from runtime.snippets import generic, literal, load_lines, read_audio, resample_lines

    if not context.files:
        return generic(context)
    kwargs = "".join(f", {k}={literal(v)}" for k, v in context.call.kwargs.items())
    return "\n".join([
        "import soundfile", "import torch", "from transformers import pipeline", "",
        *load_lines(context), *read_audio(context.files[0]), *resample_lines(),
        f"result = pipe({{'raw': audio, 'sampling_rate': target}}{kwargs})", "print(result)"]) + "\n"


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result}}


TASK = Task(
    name="audio-classification",
    title="Audio classification",
    modality="Audio",
    models=(
        "MIT/ast-finetuned-audioset-10-10-0.4593",
        "superb/wav2vec2-base-superb-ks",
        "superb/hubert-base-superb-er",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    remote=as_pipeline,  # the server resamples
    batchable=True,
    batch_group=batch_group,
    examples=({"audio": "assets/chirp.wav"}, {"audio": "assets/speech_short.wav"}),
    description="AudioSet, keyword and emotion classifiers: what kind of sound this is, with scores.",
)
