"""Zero-shot audio classification: a sound in and labels you write, ranked by how well they describe it (CLAP)."""

from runtime.errors import UserError
from runtime.media import load_audio, resample
from runtime.spec import Call, Limits, Task


def inputs():
    import gradio as gr

    return {
        "audio": gr.Audio(
            label="Audio", type="filepath", sources=["upload", "microphone"],
            elem_id="zero-shot-audio-classification-audio",
        ),
        "labels": gr.Textbox(
            label="Candidate labels", placeholder="dog barking, speech, music", value="speech, music, birdsong",
            info="Comma-separated", elem_id="zero-shot-audio-classification-labels-input",
        ),
    }


def params():
    import gradio as gr

    return {
        "template": gr.Textbox(
            label="Hypothesis template", value="This is a sound of {}.", info="{} is replaced by each label",
            elem_id="zero-shot-audio-classification-template",
        )
    }


def outputs():
    import gradio as gr

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


def snippet(context) -> str:
    """Plain transformers: the file read and resampled to the model's rate as `run` does, handed over as a bare
    array (CLAP's pipeline takes no {raw, sampling_rate} dict)."""
    from runtime.snippets import generic, literal, load_lines, read_audio, resample_lines, written

    if not context.files:
        return generic(context)
    kwargs = "".join(f", {k}={literal(v)}" for k, v in context.call.kwargs.items())
    return written([*load_lines(context), *read_audio(context.files[0]), *resample_lines(),
                    f"result = pipe(audio{kwargs})", "print(result)"], [], ["import soundfile", "from transformers import pipeline"])


def present(result, **_):
    return {"scores": {row["label"]: row["score"] for row in result}}


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
    snippet=snippet,
    batchable=True,  # every clip becomes features of one shape: any clips share a batch
    examples=(
        {"audio": "assets/chirp.wav", "labels": "a rising tone, speech, a dog barking"},
        {"audio": "assets/speech_short.wav", "labels": "a man speaking, music, rain"},
    ),
    description="CLAP models: score any labels you write against a sound, no training needed.",
)
