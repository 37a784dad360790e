"""Extractive question answering: finds the span of a text that answers a question (transformers 5 removed it; this brings it back)."""

from runtime.errors import UserError
from runtime.models import load_pipeline
from runtime.pipelines.question_answering import pipeline_class
from runtime.spec import Call, Task
from tasks._text import highlight

MAX_CONTEXT_CHARS = 50_000
MAX_QUESTION_CHARS = 1_000  # the question must fit the window beside a piece of the context


def load(task, choice, placement):
    from transformers import AutoModelForQuestionAnswering

    from runtime.pipelines import register_removed

    register_removed(task.name, pipeline_class(), AutoModelForQuestionAnswering)
    return load_pipeline(task, choice, placement)


def inputs():
    import gradio as gr

    return {
        "context": gr.Textbox(label="Context", lines=8, placeholder="Paste a text that holds the answer…",
                              elem_id="question-answering-context"),
        "question": gr.Textbox(label="Question", placeholder="What is the capital of France?",
                               elem_id="question-answering-question"),
    }


def params():
    import gradio as gr

    return {
        "max_answer_len": gr.Slider(1, 100, value=30, step=1, label="Longest answer (tokens)",
                                    elem_id="question-answering-max-answer"),
        "stride": gr.Slider(16, 256, value=128, step=16, label="Window overlap for long texts (tokens)",
                            elem_id="question-answering-stride",
                            info="Texts longer than the model's window are read in overlapping windows."),
    }


def outputs():
    import gradio as gr

    return {
        "highlight": gr.HighlightedText(label="Answer in the context", show_legend=False,
                                        elem_id="question-answering-highlight"),
        "answer": gr.Markdown(elem_id="question-answering-answer"),
    }


def prepare(context, question, max_answer_len=30, stride=128, limits=None):
    if not (context or "").strip():
        raise UserError("Paste a context: the text the answer is taken from.")
    if not (question or "").strip():
        raise UserError("Type a question about the context.")
    if len(context) > MAX_CONTEXT_CHARS:
        raise UserError(f"The context is too long: at most {MAX_CONTEXT_CHARS:,} characters (it has {len(context):,}).")
    if len(question.strip()) > MAX_QUESTION_CHARS:
        raise UserError(f"The question is too long: at most {MAX_QUESTION_CHARS:,} characters "
                        f"(it has {len(question.strip()):,}). Ask one short question about the context.")
    return Call({"question": question.strip(), "context": context}, {"max_answer_len": int(max_answer_len), "stride": int(stride)})


def snippet(context) -> str:
    """Plain transformers (5 has no QA pipeline): the app's pipeline written out (runtime/pipelines/
    question_answering.py): overlapping windows, the best span by start x end probability within the longest answer."""
    from runtime.snippets import model_lines, processor_lines

    inputs, kwargs = context.call.inputs, context.call.kwargs
    return "\n".join([
        "import torch", "from transformers import AutoModelForQuestionAnswering, AutoTokenizer", "",
        *processor_lines(context, "AutoTokenizer.from_pretrained", "tokenizer"),
        *model_lines(context, "AutoModelForQuestionAnswering.from_pretrained"),
        f"question, context = {inputs['question']!r}, {inputs['context']!r}",
        "window = min(tokenizer.model_max_length, 512)",
        "room = window - len(tokenizer(question, add_special_tokens=False)['input_ids']) - 3",
        ("encoded = tokenizer(question, context, truncation='only_second', max_length=window, "
         f"stride=min({kwargs.get('stride', 128)}, room // 2),"),
        "                    return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors='pt')",
        "with torch.no_grad():",
        "    out = model(**{k: v.to(model.device) for k, v in encoded.items() if k in tokenizer.model_input_names})",
        "best = {'score': -1.0}",
        "for w, offsets in enumerate(encoded['offset_mapping']):  # each overlapping window of a long context",
        "    in_context = torch.tensor([s == 1 for s in encoded.sequence_ids(w)])  # the answer lies in the context",
        "    starts = out.start_logits[w].float().cpu().masked_fill(~in_context, -torch.inf).softmax(-1)",
        "    ends = out.end_logits[w].float().cpu().masked_fill(~in_context, -torch.inf).softmax(-1)",
        "    pairs = torch.outer(starts, ends)",
        f"    pairs = pairs.triu() - pairs.triu({kwargs.get('max_answer_len', 30)})  # start <= end, at most that many tokens",
        "    s, e = divmod(int(pairs.argmax()), len(ends))",
        "    if pairs[s, e] > best['score']:",
        "        best = {'score': float(pairs[s, e]), 'start': int(offsets[s][0]), 'end': int(offsets[e][1])}",
        "result = {**best, 'answer': context[best['start']:best['end']]}", "print(result)"]) + "\n"


def present(result, context, **_):
    answer = f"**Answer:** {result['answer'] or '(empty)'} · score {result['score']:.3f} · characters {result['start']}–{result['end']}"
    return {"highlight": highlight(context, [(result["start"], result["end"], "answer")]), "answer": answer}


TASK = Task(
    name="question-answering",
    title="Question answering",
    modality="Text",
    models=("distilbert/distilbert-base-cased-distilled-squad", "deepset/roberta-base-squad2", "deepset/tinyroberta-squad2"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=load,
    snippet=snippet,
    examples=(
        {"context": "Paris is the capital of France and Berlin is the capital of Germany. The Seine flows through Paris.",
         "question": "What is the capital of Germany?"},
        {"context": "Hugging Face pipelines make models easy to try in the browser. They were first released in 2019.",
         "question": "What do pipelines make easy?"},
    ),
    own_pipeline=True,
    description="Extractive QA: the answer is a span copied from your text, highlighted where it was found.",
)
