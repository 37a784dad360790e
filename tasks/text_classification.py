"""Sentiment and other text classification: a sentence in, labels with scores out."""

import gradio as gr

from runtime.errors import UserError
from runtime.spec import Call, Task, TinyModel
from runtime.tiny import save, wordpiece_tokenizer


def inputs():
    return [gr.Textbox(label="Text", lines=4, placeholder="Type a sentence…", elem_id="text-classification-text")]


def params():
    return [gr.Slider(1, 20, value=5, step=1, label="Top k labels", elem_id="text-classification-top-k")]


def outputs():
    return [gr.Label(label="Labels", elem_id="text-classification-labels")]


def prepare(text, top_k=5):
    if not (text or "").strip():
        raise UserError("Type some text to classify.")
    return Call(text.strip(), {"top_k": int(top_k), "truncation": True})  # truncation: long texts don't crash


def present(result, *_):
    rows = result[0] if result and isinstance(result[0], list) else result
    return ({row["label"]: row["score"] for row in rows},)


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
        ("I love how easy this makes trying out models!",),
        ("The demo crashed twice and the support never answered.",),
    ),
    batchable=True,
    tiny=(TinyModel("tiny-bert-sentiment", build_tiny),),
    description="Sentiment and topic classifiers: which labels fit a text, with scores.",
)
