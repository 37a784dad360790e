"""Zero-shot classification: scores a text against labels you make up, with an NLI model."""

from runtime.errors import UserError
from runtime.spec import Call, Task
from tasks._text import split_labels

MAX_LABELS = 30  # each label is one model pass
MAX_LABEL_CHARS = 200  # label + template share the window with the text; a text-length one crashes the model


def inputs():
    import gradio as gr

    return {
        "text": gr.Textbox(label="Text", lines=4, placeholder="Type a text to classify…",
                           elem_id="zero-shot-classification-text"),
        "labels": gr.Textbox(label="Candidate labels (comma-separated)", placeholder="sports, politics, science",
                             elem_id="zero-shot-classification-labels"),
    }


def params():
    import gradio as gr

    return {
        "multi_label": gr.Checkbox(value=False, label="Several labels can be true (multi-label)",
                                   elem_id="zero-shot-classification-multi-label",
                                   info="Off: scores compete and sum to 1. On: each label is scored on its own."),
        "template": gr.Textbox(value="This example is {}.", label="Hypothesis template",
                               elem_id="zero-shot-classification-template",
                               info="The sentence each label is put into; {} marks where the label goes."),
    }


def outputs():
    import gradio as gr

    return {"scores": gr.Label(label="Labels, best first", elem_id="zero-shot-classification-labels-out")}


def prepare(text, labels, multi_label=False, template="This example is {}.", limits=None):
    if not (text or "").strip():
        raise UserError("Type some text to classify.")
    candidates = split_labels(labels)
    if not candidates:
        raise UserError("Give at least one candidate label, e.g. 'sports, politics, science'.")
    if len(candidates) > MAX_LABELS:
        raise UserError(f"Give at most {MAX_LABELS} candidate labels (you gave {len(candidates)}).")
    template = (template or "").strip() or "This example is {}."
    for what, value in [*(("candidate label", c) for c in candidates), ("hypothesis template", template)]:
        if len(value) > MAX_LABEL_CHARS:
            raise UserError(f"Each {what} should be a few words: one has {len(value):,} characters "
                            f"(at most {MAX_LABEL_CHARS}). Separate several labels with commas.")
    if template.count("{}") != 1:
        raise UserError("The hypothesis template needs exactly one {} where the label goes, e.g. 'This text is about {}.'")
    return Call(text.strip(), {"candidate_labels": candidates, "multi_label": bool(multi_label), "hypothesis_template": template})


def present(result, **_):
    return {"scores": {label: score for label, score in zip(result["labels"], result["scores"])}}


def serve(pipe, text, parameters):
    """Endpoint mode: the pipeline's call, answered as the Inference API does: [{"label", "score"}], best first."""
    result = pipe(text, **parameters)
    return [{"label": label, "score": score} for label, score in zip(result["labels"], result["scores"])]


TASK = Task(
    name="zero-shot-classification",
    title="Zero-shot classification",
    modality="Text",
    models=(
        "MoritzLaurer/deberta-v3-base-zeroshot-v2.0",
        "facebook/bart-large-mnli",
        "MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"text": "The new phone has a brilliant camera but the battery dies by noon.",
         "labels": "technology, sports, cooking, complaint"},
        {"text": "Astronauts fly rockets into space and drink coffee on the station.", "labels": "space, food, politics"},
    ),
    serve=serve,
    batchable=True,
    description="Classify a text into labels you choose, no training: an NLI model checks 'This example is {label}.'",
)
