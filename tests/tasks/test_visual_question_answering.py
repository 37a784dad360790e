import pytest
from gradio_client import handle_file

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.visual_question_answering import prepare, present

TASK = "visual-question-answering"
ANSWERS = ("yes", "no", "cat", "2", "astronaut", "red", "coffee")


def build_tiny(folder):
    from transformers import ViltConfig, ViltForQuestionAnswering, ViltImageProcessor, ViltProcessor

    tokenizer = wordpiece_tokenizer(model_max_length=40)  # ViLT's text positions
    config = ViltConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, image_size=32, patch_size=8, max_position_embeddings=40, num_labels=len(ANSWERS),
        id2label=dict(enumerate(ANSWERS)), label2id={a: i for i, a in enumerate(ANSWERS)},
    )
    processor = ViltProcessor(ViltImageProcessor(size={"shortest_edge": 32}, size_divisor=8), tokenizer)
    save(folder, ViltForQuestionAnswering(config), processor)


def build_tiny_chat(folder):
    """The same tiny VLM as image-text-to-text's: it answers as a chat."""
    from tests.tasks.test_image_text_to_text import build_tiny as vision_chat_model

    vision_chat_model(folder)


TINY = (TinyModel("tiny-vilt", build_tiny), TinyModel("tiny-vlm", build_tiny_chat))


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
