import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from tasks.visual_question_answering import ANSWERS, prepare, present

API = "/visual_question_answering"


def test_prepare_gives_image_question_and_both_settings(asset):
    call = prepare(asset("chelsea.jpg"), " What animal is this? ", 3, 16)
    assert call.inputs["image"].mode == "RGB" and call.inputs["question"] == "What animal is this?"
    assert call.kwargs == {"top_k": 3, "max_new_tokens": 16}


def test_prepare_refuses_missing_image_and_question(asset):
    with pytest.raises(UserError, match="Add an image"):
        prepare(None, "What?")
    with pytest.raises(UserError, match="Type a question"):
        prepare(asset("chelsea.jpg"), "")


def test_present_ranked_and_written_answers():
    ranked = [{"answer": "cat", "score": 0.9}, {"answer": "dog", "score": 0.1}]
    assert present(ranked) == ("cat", {"cat": 0.9, "dog": 0.1})
    assert present([{"answer": "a cat on a sofa"}]) == ("a cat on a sofa", None)


def test_registration_happens_at_load_not_import():
    import subprocess
    import sys

    code = (
        "import tasks.visual_question_answering, sys; "
        "from transformers.pipelines import REMOVED_TASKS; print('visual-question-answering' in REMOVED_TASKS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_end_to_end_vilt_classifier(client, tiny, asset):
    answer, ranked, raw, status = client.predict(
        tiny("visual-question-answering", "tiny-vilt"), handle_file(asset("chelsea.jpg")), "What animal is this?", 3, 8,
        api_name=API,
    )
    labels = [c["label"] for c in ranked["confidences"]]
    assert len(labels) == 3 and set(labels) <= set(ANSWERS)
    assert answer == raw[0]["answer"] == labels[0]
    assert all(0.0 <= row["score"] <= 1.0 for row in raw)
    assert [row["score"] for row in raw] == sorted((row["score"] for row in raw), reverse=True)
    assert "tiny-vilt" in status


def test_end_to_end_generative_vlm(client, tiny, asset):
    answer, ranked, raw, status = client.predict(
        tiny("visual-question-answering", "tiny-vlm"), handle_file(asset("astronaut.jpg")), "Who is this?", 3, 6,
        api_name=API,
    )
    assert isinstance(answer, str) and answer == raw[0]["answer"]
    assert "score" not in raw[0] and not (ranked or {}).get("confidences")  # a written answer, not a ranking
    assert "tiny-vlm" in status


def test_bad_input_then_next_request_works(client, tiny, asset):
    with pytest.raises(Exception, match="Type a question"):
        client.predict(tiny("visual-question-answering"), handle_file(asset("chelsea.jpg")), " ", 3, 8, api_name=API)
    answer, *_ = client.predict(
        tiny("visual-question-answering"), handle_file(asset("chelsea.jpg")), "Is it red?", 1, 8, api_name=API
    )
    assert answer in ANSWERS
