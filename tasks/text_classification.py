"""Sentiment and other text classification: a sentence in, labels with scores out."""

from runtime.errors import UserError
from runtime.spec import Call, Task


def inputs():
    import gradio as gr

    return {"text": gr.Textbox(label="Text", lines=4, placeholder="Type a sentence…", elem_id="text-classification-text")}


SCORES = {  # function_to_apply: how the model's logits become scores
    "default": "As the model was trained (its config decides)",
    "softmax": "One label is true: softmax, scores sum to 1",
    "sigmoid": "Several labels can be true: sigmoid, each 0-1",
    "none": "Raw logits",
}


def params():
    import gradio as gr

    return {
        "top_k": gr.Slider(0, 50, value=5, step=1, label="Top k labels (0: all)", elem_id="text-classification-top-k"),
        "scores": gr.Dropdown([(text, key) for key, text in SCORES.items()], value="default", label="Scores",
                              elem_id="text-classification-scores"),
    }


def outputs():
    import gradio as gr

    return {"labels": gr.Label(label="Labels", elem_id="text-classification-labels")}


def prepare(text, top_k=5, scores="default", limits=None):
    if not (text or "").strip():
        raise UserError("Type some text to classify.")
    if scores not in SCORES:
        raise UserError(f"Pick how scores are computed: {', '.join(SCORES)}.")
    kwargs = {"top_k": int(top_k) or None, "truncation": True}  # top_k None: every label; truncation: long texts don't crash
    if scores != "default":
        kwargs["function_to_apply"] = scores
    return Call(text.strip(), kwargs)


def present(result, **_):
    rows = result[0] if result and isinstance(result[0], list) else result
    return {"labels": {row["label"]: row["score"] for row in rows}}


def serve(pipe, text, parameters):
    """Endpoint mode: the pipeline's call, a long text read from its start as in the tab (InferenceClient sends no
    truncation setting), answered as the Inference API does: one text's labels in a list of their own."""
    result = pipe(text, **{"truncation": True, **parameters})
    if isinstance(result, dict):  # no top_k: the best label, bare when a batched call answers this text
        result = [result]
    return [result] if result and isinstance(result[0], dict) else result  # a batch of texts is nested already


TASK = Task(
    name="text-classification",
    title="Text classification",
    modality="Text",
    models=(
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "cardiffnlp/twitter-roberta-base-sentiment-latest",
        "SamLowe/roberta-base-go_emotions",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"text": "I love how easy this makes trying out models!"},
        {"text": "The demo crashed twice and the support never answered."},
    ),
    serve=serve,
    batchable=True,
    description="Sentiment and topic classifiers: which labels fit a text, with scores.",
)
