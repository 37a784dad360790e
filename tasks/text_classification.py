"""Sentiment and other text classification: a sentence in, labels with scores out."""

import gradio as gr

from runtime.errors import UserError
from runtime.spec import Call, Task, TinyModel
from runtime.tiny import save, wordpiece_tokenizer


def inputs():
    return {"text": gr.Textbox(label="Text", lines=4, placeholder="Type a sentence…", elem_id="text-classification-text")}


SCORES = {  # function_to_apply: how the model's logits become scores
    "default": "As the model was trained (its config decides)",
    "softmax": "One label is true: softmax, scores sum to 1",
    "sigmoid": "Several labels can be true: sigmoid, each 0-1",
    "none": "Raw logits",
}


def params():
    return {
        "top_k": gr.Slider(0, 50, value=5, step=1, label="Top k labels (0: all)", elem_id="text-classification-top-k"),
        "scores": gr.Dropdown([(text, key) for key, text in SCORES.items()], value="default", label="Scores",
                              elem_id="text-classification-scores"),
    }


def outputs():
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


def build_tiny(folder):
    from transformers import BertConfig, BertForSequenceClassification

    tokenizer = wordpiece_tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=128, id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    save(folder, BertForSequenceClassification(config), tokenizer)


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
    batchable=True,
    tiny=(TinyModel("tiny-bert-sentiment", build_tiny),),
    description="Sentiment and topic classifiers: which labels fit a text, with scores.",
)
