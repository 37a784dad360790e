"""Named-entity recognition: finds people, places and organisations in a text and highlights them."""

from runtime.errors import UserError
from runtime.spec import Call, Task
from tasks._text import highlight

STRATEGIES = ("simple", "first", "average", "max", "none")
COLUMNS = ["entity", "word", "score", "start", "end"]


def inputs():
    import gradio as gr

    return {"text": gr.Textbox(label="Text", lines=4, placeholder="Type a sentence with names…",
                               elem_id="token-classification-text")}


def params():
    import gradio as gr

    return {
        "aggregation": gr.Dropdown(
            list(STRATEGIES), value="simple", label="Aggregation strategy", elem_id="token-classification-aggregation",
            info="How word pieces become entities: 'none' shows every token, the others merge pieces into words.",
        )
    }


def outputs():
    import gradio as gr

    return {
        "entities": gr.HighlightedText(label="Entities", show_legend=True, elem_id="token-classification-entities"),
        "table": gr.Dataframe(headers=COLUMNS, label="Entity table", interactive=False,
                              elem_id="token-classification-table"),
    }


def prepare(text, aggregation="simple", limits=None):
    if not (text or "").strip():
        raise UserError("Type some text to look for entities in.")
    if aggregation not in STRATEGIES:
        raise UserError(f"Pick an aggregation strategy: {', '.join(STRATEGIES)}.")
    return Call(text, {"aggregation_strategy": aggregation})


def present(result, text, **_):
    label = lambda row: row.get("entity_group") or row.get("entity")  # noqa: E731 - 'none' names it entity
    spans = [(row.get("start"), row.get("end"), label(row)) for row in result]
    table = [[label(row), row.get("word"), round(float(row["score"]), 4), row.get("start"), row.get("end")] for row in result]
    return {"entities": highlight(text, spans), "table": table}


TASK = Task(
    name="token-classification",
    title="Named entities",
    modality="Text",
    models=(
        "dslim/bert-base-NER",
        "dbmdz/bert-large-cased-finetuned-conll03-english",
        "Davlan/bert-base-multilingual-cased-ner-hrl",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"text": "My name is Sarah and I live in London, near the river Thames."},
        {"text": "Hugging Face was founded in New York by Clément Delangue, Julien Chaumond and Thomas Wolf."},
    ),
    batchable=True,
    description="Token classification (NER): which words are people, places, organisations, with scores.",
)
