import pytest

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.question_answering import MAX_CONTEXT_CHARS, prepare, present
from tests.tasks._tiny_helpers import bert_config

SHORT = "Paris is the capital of France and Berlin is the capital of Germany."


def build_tiny(folder):
    from transformers import BertForQuestionAnswering

    tokenizer = wordpiece_tokenizer(model_max_length=64)  # short window: long contexts need several
    save(folder, BertForQuestionAnswering(bert_config(tokenizer)), tokenizer)


TINY = (TinyModel("tiny-bert-qa", build_tiny),)


def test_prepare_and_present():
    call = prepare(context=SHORT, question=" What is the capital of Germany? ", max_answer_len=20, stride=64)
    assert call.inputs == {"question": "What is the capital of Germany?", "context": SHORT}
    assert call.kwargs == {"max_answer_len": 20, "stride": 64}
    for context, question, message in [("", "q", "Paste a context"), (SHORT, " ", "Type a question")]:
        with pytest.raises(UserError, match=message):
            prepare(context=context, question=question)
    shown = present({"answer": "Berlin", "score": 0.5, "start": 35, "end": 41}, context=SHORT, question="q",
                    max_answer_len=30, stride=128)
    assert set(shown) == {"highlight", "answer"}
    pieces, line = shown["highlight"], shown["answer"]
    assert ("Berlin", "answer") in pieces and "".join(p for p, _ in pieces) == SHORT and "Berlin" in line


def test_a_context_over_the_character_limit_is_refused_with_the_limit_named():
    """README: a long context is read whole, in windows, up to MAX_CONTEXT_CHARS; beyond, the limit is said."""
    prepare(context="x" * MAX_CONTEXT_CHARS, question="q")
    with pytest.raises(UserError, match=f"at most {MAX_CONTEXT_CHARS:,} characters"):
        prepare(context="x" * (MAX_CONTEXT_CHARS + 1), question="q")


def test_end_to_end(predict, tiny):
    out = predict("question-answering", model=tiny("question-answering"), context=SHORT,
                  question="What is the capital of Germany?", max_answer_len=30, stride=128)
    pieces, line, raw, status = out["highlight"], out["answer"], out["raw"], out["status"]
    assert raw["answer"] in line
    assert 0 <= raw["start"] < raw["end"] <= len(SHORT) and SHORT[raw["start"]:raw["end"]] == raw["answer"]
    assert [p["token"] for p in pieces if p["class_or_confidence"] == "answer"] == [raw["answer"]]
    assert 0 <= raw["score"] <= 1 and "tiny-bert-qa" in status


def test_context_longer_than_the_window_gives_a_span_inside_it(predict, tiny, models, config):
    from tasks.question_answering import TASK

    context = " ".join(f"Sentence {i}: the weather today is sunny with a light breeze from the west." for i in range(60))
    raw = predict("question-answering", model=tiny("question-answering"), context=context,
                  question="What is the weather?", max_answer_len=30, stride=32)["raw"]
    pipe = models.get(TASK, config.resolve(TASK, tiny("question-answering"))).pipe
    assert len(pipe.tokenizer(context)["input_ids"]) > 4 * pipe.tokenizer.model_max_length  # several windows needed
    assert 0 <= raw["start"] < raw["end"] <= len(context)
    assert context[raw["start"]:raw["end"]] == raw["answer"] and raw["answer"].strip()
