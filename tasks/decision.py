"""Decision: typed questions about a situation, each answered with a probability for every option (one forward pass).

Any chat model answers (transformers scores the options by the logits of their label tokens); the questions are
`choice` (options, optionally with descriptions), `score` (ordered levels, lowest first) or `noul` (yes / no)."""

import html

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

TYPES = {"choice": "choice: pick one option", "score": "score: a level, lowest first", "noul": "noul: yes or no"}
COLUMNS = ["name", "type", "instructions", "options"]
IMAGE = "<image>"  # where the state shows the image; added at its end when the text does not say where
MAX_QUESTIONS = 12  # one prompt (one forward pass) per question
MAX_OPTIONS = 26  # the labels A to Z
MAX_STATE_CHARS = 20_000
EXAMPLE_QUESTIONS = {
    "headers": COLUMNS,
    "data": [
        ["refund", "noul", "Does the customer ask for a refund?", ""],
        ["urgency", "score", "How urgent is this ticket?", "can wait; this week; today; within the hour"],
        ["department", "choice", "Which team should answer?",
         "billing: payments, invoices and refunds; support: bugs and how-to; sales: new plans and quotes"],
    ],
}


def inputs():
    import gradio as gr

    return {
        "state": gr.Textbox(label="Situation (the state the questions are about)", lines=5,
                            placeholder="Paste a ticket, a message, a description…", elem_id="decision-state"),
        "image": gr.Image(label=f"Image (optional; write {IMAGE} in the situation where it belongs)", type="filepath",
                          sources=["upload", "clipboard"], elem_id="decision-image"),
        "questions": gr.Dataframe(
            value=EXAMPLE_QUESTIONS, headers=COLUMNS, datatype=["str"] * 4, interactive=True, type="array",
            elem_id="decision-questions",
            label="Questions · type: choice, score or noul · options separated by ; (choice: 'option: description'; "
                  "score: levels, lowest first; noul: none, or 'true: …; false: …')",
        ),
    }


def outputs():
    import gradio as gr

    return {
        "answers": gr.HTML(label="Answers", elem_id="decision-answers"),
        "table": gr.Dataframe(headers=["question", "type", "answer", "confidence"], label="Summary",
                              interactive=False, elem_id="decision-table"),
    }


def prepare(state, questions, image=None, limits=Limits()):
    state = (state or "").strip()
    if not state and not image:
        raise UserError("Describe the situation the questions are about (or add an image).")
    if len(state) > MAX_STATE_CHARS:
        raise UserError(f"The situation is too long: at most {MAX_STATE_CHARS:,} characters (it has {len(state):,}).")
    request = {"state": state, "questions": read_questions(questions)}
    if image:
        if IMAGE not in state:
            request["state"] = f"{state}\n{IMAGE}".strip()
        request["assets"] = {IMAGE: load_image(image, limits.max_image_side)}
    return Call(request)


def read_questions(table) -> dict:
    """The editor's rows -> System One questions {name: {"type", "instructions", "criteria"}}; blank rows skipped."""
    rows = table.get("data", []) if isinstance(table, dict) else table
    questions = {}
    for number, row in enumerate(rows or [], 1):
        if not isinstance(row, (list, tuple)):
            raise UserError("Give the questions as a table: name, type, instructions, options.")
        name, kind, instructions, options = ([str(cell).strip() if cell is not None else "" for cell in row] + [""] * 4)[:4]
        if not (name or kind or instructions or options):
            continue
        name = name or f"question {number}"
        kind = kind.lower()
        if kind not in TYPES:
            raise UserError(f"Question '{name}': the type must be one of {', '.join(TYPES)} (it is '{kind}').")
        if name in questions:
            raise UserError(f"Two questions are named '{name}': give each a different name.")
        if not instructions:
            raise UserError(f"Question '{name}': write what it asks in 'instructions'.")
        questions[name] = {"type": kind, "instructions": instructions, **criteria(name, kind, options)}
    if not questions:
        raise UserError("Add at least one question: a name, its type (choice, score or noul) and what it asks.")
    if len(questions) > MAX_QUESTIONS:
        raise UserError(f"Ask at most {MAX_QUESTIONS} questions at once (there are {len(questions)}).")
    return questions


def criteria(name: str, kind: str, text: str) -> dict:
    parts = [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]
    if kind == "score":
        if len(parts) < 2:
            raise UserError(f"Question '{name}': a score needs at least two levels, lowest first, e.g. 'low; high'.")
        return {"criteria": limited(name, parts)}
    described = {}
    for part in parts:
        option, _, description = part.partition(":")
        described[option.strip()] = description.strip() or None
    if kind == "noul":
        if set(described) - {"true", "false"}:
            raise UserError(f"Question '{name}': a yes/no question's options are only 'true: …' and 'false: …' "
                            "descriptions (or nothing).")
        return {"criteria": described} if described else {}
    if len(described) < 2:
        raise UserError(f"Question '{name}': a choice needs at least two options, e.g. 'billing; support; sales'.")
    return {"criteria": dict(zip(limited(name, list(described)), described.values()))}


def limited(name: str, options: list[str]) -> list[str]:
    if len(options) > MAX_OPTIONS:
        raise UserError(f"Question '{name}': at most {MAX_OPTIONS} options (it has {len(options)}).")
    return options


def present(result, **_):
    """Bars per question (the probability of every option) and a one-row-per-question summary."""
    blocks, rows = [], []
    for name, answer in result.items():
        kind = answer["type"]
        if kind == "noul":
            probabilities = {"yes": answer["noul"], "no": 1 - answer["noul"]}
            best, confidence = max(probabilities, key=probabilities.get), abs(2 * answer["noul"] - 1)
            shown = f"{best} ({answer['noul']:.0%} yes)"
        else:
            probabilities, confidence = answer["probabilities"], answer["confidence"]
            if kind == "choice":
                best = shown = answer["choice"]
            else:
                levels = list(answer["legend"].values())
                best = max(probabilities, key=probabilities.get)
                probabilities = {str(level): p for level, p in zip(levels, probabilities.values())}
                shown = f"{answer['score']:.2f} of {len(levels) - 1} (≈ {levels[round(answer['score'])]})"
                best = str(levels[int(best)])
        rows.append([name, kind, shown, round(confidence, 3)])
        blocks.append(bars(name, kind, probabilities, best))
    return {"answers": f'<div class="decision-answers">{"".join(blocks)}</div>', "table": rows}


def bars(name: str, kind: str, probabilities: dict, best: str) -> str:
    lines = "".join(
        f'<div style="display:flex;gap:.5em;align-items:center;margin:.15em 0">'
        f'<span style="flex:0 0 38%;overflow:hidden;text-overflow:ellipsis;{"font-weight:bold" if option == best else ""}">'
        f"{html.escape(str(option))}</span>"
        f'<span style="flex:1;background:var(--neutral-200,#eee);border-radius:4px;height:.9em">'
        f'<span style="display:block;height:100%;width:{p:.1%};border-radius:4px;'
        f'background:var(--color-accent,#f97316)"></span></span>'
        f'<span style="flex:0 0 4em;text-align:right">{p:.1%}</span></div>'
        for option, p in probabilities.items()
    )
    return f'<div style="margin-bottom:.8em"><strong>{html.escape(name)}</strong> <small>({kind})</small>{lines}</div>'


TASK = Task(
    name="decision",
    title="Decision",
    modality="Multimodal",
    models=(
        "Qwen/Qwen2.5-0.5B-Instruct",
        "HuggingFaceTB/SmolLM2-360M-Instruct",
        "Qwen/Qwen2.5-1.5B-Instruct",
    ),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"state": "Hi, I was charged twice for my March invoice and I need the money back before my rent is due "
                  "on Friday. Order #4821.", "image": None, "questions": EXAMPLE_QUESTIONS},
        {"state": "The app crashes every time I open the settings page since yesterday's update. Not urgent, I can "
                  "use the website for now.", "image": None, "questions": EXAMPLE_QUESTIONS},
    ),
    description=(
        "Typed questions about a situation — choice, score (levels) or yes/no — each answered with a probability "
        "for every option from one forward pass of a chat model: triage, routing, grading."
    ),
)
