"""Table question answering: ask a question about a table you can edit; TAPAS picks cells and an aggregate."""

from runtime.errors import UserError
from runtime.spec import Call, Task

MAX_CELLS = 2000  # TAPAS reads at most 512 tokens: bigger tables would be cut silently
MAX_QUESTION_CHARS = 1_000  # the question shares those 512 tokens with the table; TAPAS' tokenizer never cuts it
EXAMPLE = {
    "headers": ["City", "Country", "Population (millions)"],
    "data": [["Paris", "France", "2.1"], ["Berlin", "Germany", "3.6"], ["Madrid", "Spain", "3.3"], ["Rome", "Italy", "2.8"]],
}


def inputs():
    import gradio as gr

    return {
        "table": gr.Dataframe(value=EXAMPLE, label="Table (edit any cell; add rows and columns)", interactive=True,
                              type="pandas", elem_id="table-question-answering-table"),
        "question": gr.Textbox(label="Question", placeholder="Which city has the most people?",
                               elem_id="table-question-answering-question"),
    }


def outputs():
    import gradio as gr

    return {
        "answer": gr.Textbox(label="Answer", elem_id="table-question-answering-answer"),
        "details": gr.Markdown(elem_id="table-question-answering-details"),
    }


def prepare(table, question, limits=None):
    if not (question or "").strip():
        raise UserError("Type a question about the table.")
    if len(question.strip()) > MAX_QUESTION_CHARS:  # a 20,000-word one made the tokenizer eat all memory
        raise UserError(f"The question is too long: at most {MAX_QUESTION_CHARS:,} characters "
                        f"(it has {len(question.strip()):,}). Ask one short question about the table.")
    if table is None or len(table.columns) == 0:
        raise UserError("The table is empty: add at least one column and one row.")
    table = table.fillna("").astype(str)
    table = table[(table != "").any(axis=1)]  # rows left entirely blank in the editor
    headers = [str(h).strip() for h in table.columns]
    if not len(table):
        raise UserError("The table has no filled-in rows.")
    if any(not h for h in headers) or len(set(headers)) < len(headers):
        raise UserError("Give every column a different, non-empty name.")
    if table.size > MAX_CELLS:
        raise UserError(f"The table is too big for this model: at most {MAX_CELLS} cells (it has {table.size}).")
    columns = {h: [cell.strip() for cell in table[c]] for h, c in zip(headers, table.columns)}
    return Call({"table": columns, "query": question.strip()})


def present(result, **_):
    aggregator = result.get("aggregator") or "NONE"
    cells = ", ".join(f"{cell} (row {r + 1}, column {c + 1})" for cell, (r, c) in zip(result["cells"], result["coordinates"]))
    details = f"**Aggregator:** {aggregator} · **Cells:** {cells or 'none selected'}"
    return {"answer": result["answer"], "details": details}


TASK = Task(
    name="table-question-answering",
    title="Table question answering",
    modality="Text",
    models=("google/tapas-base-finetuned-wtq", "google/tapas-mini-finetuned-wtq", "google/tapas-large-finetuned-wtq"),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"table": EXAMPLE, "question": "Which city has the most people?"},
        {"table": EXAMPLE, "question": "What is the total population?"},
    ),
    description="Ask about a table: TAPAS answers with cells and, when it adds or counts, the aggregator it used.",
)
