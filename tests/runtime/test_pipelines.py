import pytest

from runtime.pipelines import register_removed


def test_a_removed_task_works_again_through_transformers_pipeline(tiny):
    from transformers import AutoModelForQuestionAnswering, pipeline, pipelines

    from runtime.pipelines.question_answering import pipeline_class

    register_removed("question-answering", pipeline_class(), AutoModelForQuestionAnswering)
    register_removed("question-answering", pipeline_class(), AutoModelForQuestionAnswering)  # twice is harmless
    assert "question-answering" not in pipelines.REMOVED_TASKS
    qa = pipeline("question-answering", model=tiny("question-answering"))
    context = "Berlin is the capital of Germany."
    answer = qa({"question": "What is the capital?", "context": context})
    assert context[answer["start"]:answer["end"]] == answer["answer"]


def test_other_removed_tasks_stay_refused(tiny):
    from transformers import pipeline

    with pytest.raises(KeyError, match="removed"):
        pipeline("text2text-generation", model=tiny("question-answering"))
