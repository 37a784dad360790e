import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from tasks.visual_question_answering import ANSWERS, prepare, present

TASK = "visual-question-answering"


def test_prepare_gives_image_question_and_both_settings(asset):
    call = prepare(image=asset("chelsea.jpg"), question=" What animal is this? ", top_k=3, max_new_tokens=16)
    assert call.inputs["image"].mode == "RGB" and call.inputs["question"] == "What animal is this?"
    assert call.kwargs == {"top_k": 3, "max_new_tokens": 16}


def test_prepare_refuses_missing_image_and_question(asset):
    with pytest.raises(UserError, match="Add an image"):
        prepare(image=None, question="What?")
    with pytest.raises(UserError, match="Type a question"):
        prepare(image=asset("chelsea.jpg"), question="")


def test_present_ranked_and_written_answers():
    ranked = [{"answer": "cat", "score": 0.9}, {"answer": "dog", "score": 0.1}]
    assert present(ranked, image="cat.jpg", question="What?") == {"answer": "cat", "ranked": {"cat": 0.9, "dog": 0.1}}
    assert present([{"answer": "a cat on a sofa"}]) == {"answer": "a cat on a sofa", "ranked": None}


def test_registration_happens_at_load_not_import():
    import subprocess
    import sys

    code = (
        "import tasks.visual_question_answering, sys; "
        "from transformers.pipelines import REMOVED_TASKS; print('visual-question-answering' in REMOVED_TASKS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_end_to_end_vilt_classifier(predict, tiny, asset):
    out = predict(
        TASK, model=tiny(TASK, "tiny-vilt"), image=handle_file(asset("chelsea.jpg")), question="What animal is this?",
        top_k=3, max_new_tokens=8,
    )
    answer, ranked, raw, status = out["answer"], out["ranked"], out["raw"], out["status"]
    labels = [c["label"] for c in ranked["confidences"]]
    assert len(labels) == 3 and set(labels) <= set(ANSWERS)
    assert answer == raw[0]["answer"] == labels[0]
    assert all(0.0 <= row["score"] <= 1.0 for row in raw)
    assert [row["score"] for row in raw] == sorted((row["score"] for row in raw), reverse=True)
    assert "tiny-vilt" in status


def test_end_to_end_generative_vlm(predict, tiny, asset):
    out = predict(
        TASK, model=tiny(TASK, "tiny-vlm"), image=handle_file(asset("astronaut.jpg")), question="Who is this?",
        top_k=3, max_new_tokens=6,
    )
    answer, ranked, raw, status = out["answer"], out["ranked"], out["raw"], out["status"]
    assert isinstance(answer, str) and answer == raw[0]["answer"]
    assert "score" not in raw[0] and not (ranked or {}).get("confidences")  # a written answer, not a ranking
    assert "tiny-vlm" in status


def test_bad_input_then_next_request_works(predict, tiny, asset):
    with pytest.raises(Exception, match="Type a question"):
        predict(TASK, model=tiny(TASK), image=handle_file(asset("chelsea.jpg")), question=" ", top_k=3,
                max_new_tokens=8)
    out = predict(TASK, model=tiny(TASK), image=handle_file(asset("chelsea.jpg")), question="Is it red?", top_k=1,
                  max_new_tokens=8)
    assert out["answer"] in ANSWERS
