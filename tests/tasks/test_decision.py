import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import causal_lm
from tasks.decision import EXAMPLE_QUESTIONS, IMAGE, TASK, prepare, present
from tests.tasks.test_image_text_to_text import build_tiny as build_tiny_llava


def build_tiny_vision(folder):
    """The image chat's tiny LLaVA, its yes/no labels set to single tokens of its small vocabulary (decision.json)."""
    from transformers.decision import DecisionConfig

    build_tiny_llava(folder)
    DecisionConfig(labels={"noul": ["Y", "N"]}).save_pretrained(folder)


TINY = (  # any chat model answers; its option labels (Yes/No, A-Z) must be single tokens of its vocabulary
    TinyModel("tiny-gpt2-decision", lambda folder: causal_lm(folder, corpus=["Yes", "No"] * 20)),
    TinyModel("tiny-llava-decision", build_tiny_vision),
)


def table(*rows):
    return {"headers": ["name", "type", "instructions", "options"], "data": [list(row) for row in rows]}


def test_prepare_turns_the_table_into_system_one_questions():
    call = prepare(state=" A ticket. ", questions=EXAMPLE_QUESTIONS)
    assert call.inputs == {"state": "A ticket.", "questions": {
        "refund": {"type": "noul", "instructions": "Does the customer ask for a refund?"},
        "urgency": {"type": "score", "instructions": "How urgent is this ticket?",
                    "criteria": ["can wait", "this week", "today", "within the hour"]},
        "department": {"type": "choice", "instructions": "Which team should answer?", "criteria": {
            "billing": "payments, invoices and refunds", "support": "bugs and how-to", "sales": "new plans and quotes"}},
    }}
    noul = prepare(state="x", questions=table(["spam", "NOUL", "Spam?", "true: ads; false: a real talk"], ["", "", "", ""]))
    assert noul.inputs["questions"] == {"spam": {"type": "noul", "instructions": "Spam?",
                                                 "criteria": {"true": "ads", "false": "a real talk"}}}


def test_prepare_puts_the_image_where_the_state_says(asset):
    call = prepare(state="Look:", questions=table(["cat", "noul", "A cat?", ""]), image=asset("chelsea.jpg"))
    assert call.inputs["state"] == f"Look:\n{IMAGE}" and call.inputs["assets"][IMAGE].size[0] > 1
    placed = prepare(state=f"Photo {IMAGE} of a pet", questions=table(["cat", "noul", "A cat?", ""]),
                     image=asset("chelsea.jpg"))
    assert placed.inputs["state"] == f"Photo {IMAGE} of a pet"


@pytest.mark.parametrize("state, rows, message", [
    ("", [["a", "noul", "q?", ""]], "Describe the situation"),
    ("x", [["", "", "", ""]], "at least one question"),
    ("x", [["a", "maybe", "q?", ""]], "type must be one of choice, score, noul"),
    ("x", [["a", "noul", "q?", ""], ["a", "noul", "r?", ""]], "Two questions are named 'a'"),
    ("x", [["a", "choice", "q?", "only one"]], "at least two options"),
    ("x", [["a", "score", "", "low; high"]], "write what it asks"),
    ("x", [["a", "noul", "q?", "maybe: perhaps"]], "only 'true: …' and 'false: …'"),
    ("x", [["a", "choice", "q?", ";".join(map(str, range(27)))]], "at most 26 options"),
])
def test_prepare_refuses_bad_questions(state, rows, message):
    with pytest.raises(UserError, match=message):
        prepare(state=state, questions=table(*rows))


def test_present_shows_bars_and_a_summary_per_question():
    result = {
        "refund": {"type": "noul", "noul": 0.9},
        "urgency": {"type": "score", "score": 2.2, "legend": {"0": "low", "1": "mid", "2": "high", "3": "now"},
                    "confidence": 0.6, "probabilities": {"0": 0.05, "1": 0.1, "2": 0.45, "3": 0.4}},
        "team": {"type": "choice", "choice": "<b>ill", "confidence": 0.5, "probabilities": {"<b>ill": 0.7, "sales": 0.3}},
    }
    shown = present(result)
    assert shown["table"] == [["refund", "noul", "yes (90% yes)", 0.8], ["urgency", "score", "2.20 of 3 (≈ high)", 0.6],
                              ["team", "choice", "<b>ill", 0.5]]
    answers = shown["answers"]
    assert "&lt;b&gt;ill" in answers and "<b>ill" not in answers  # option names are escaped
    assert "width:90.0%" in answers and "width:10.0%" in answers and "width:45.0%" in answers


def test_end_to_end_every_question_type(predict, tiny):
    out = predict("decision", model=tiny("decision", "tiny-gpt2-decision"), state="I was charged twice, refund me!",
                  questions=EXAMPLE_QUESTIONS, image=None)
    raw = out["raw"]
    assert list(raw) == ["refund", "urgency", "department"]
    assert 0 <= raw["refund"]["noul"] <= 1
    assert sum(raw["urgency"]["probabilities"].values()) == pytest.approx(1, abs=1e-4)
    assert raw["department"]["choice"] in {"billing", "support", "sales"}
    assert [row[0] for row in out["table"]["data"]] == ["refund", "urgency", "department"]
    assert out["answers"].count("width:") == 2 + 4 + 3 and "tiny-gpt2-decision" in out["status"]


def test_end_to_end_the_image_reaches_the_model(predict, tiny, asset):
    def ask(image):
        return predict("decision", model=tiny("decision", "tiny-llava-decision"), state=f"Photo: {IMAGE}",
                       questions=table(["cat", "noul", "Is there a cat?", ""]), image=handle_file(asset(image)))["raw"]

    assert ask("chelsea.jpg")["cat"]["noul"] != ask("rocket.jpg")["cat"]["noul"]


def test_an_image_on_a_text_only_model_is_a_plain_sentence(predict, tiny, asset):
    with pytest.raises(AppError, match="Images need a model whose processor handles them"):
        predict("decision", model=tiny("decision", "tiny-gpt2-decision"), state="x", image=handle_file(asset("chelsea.jpg")),
                questions=table(["cat", "noul", "Is there a cat?", ""]))
    assert predict("decision", model=tiny("decision", "tiny-gpt2-decision"), state="x", image=None,
                   questions=table(["cat", "noul", "Is there a cat?", ""]))["raw"]["cat"]["type"] == "noul"


def test_examples_are_valid_requests():
    for example in TASK.examples:
        assert prepare(**example).inputs["questions"]
