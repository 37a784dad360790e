"""Visual question answering: a photo and a question in, ranked answers (ViLT-class) or a written answer (VLMs) out."""

import dataclasses

from runtime.errors import UserError
from runtime.media import load_image
from runtime.pipelines.visual_question_answering import pipeline_class
from runtime.remote import as_pipeline
from runtime.spec import Call, Limits, Task


def inputs():
    import gradio as gr

    return {
        "image": gr.Image(
            label="Image", type="filepath", sources=["upload", "webcam", "clipboard"],
            elem_id="visual-question-answering-image",
        ),
        "question": gr.Textbox(label="Question", placeholder="What animal is this?",
                               elem_id="visual-question-answering-question"),
    }


def params():
    import gradio as gr

    return {
        "top_k": gr.Slider(
            1, 10, value=5, step=1, label="Answers (classifier models)", elem_id="visual-question-answering-top-k"
        ),
        "max_new_tokens": gr.Slider(
            1, 256, value=32, step=1, label="Max new tokens (generative models)",
            elem_id="visual-question-answering-max-new-tokens",
        ),
    }


def outputs():
    import gradio as gr

    return {
        "answer": gr.Textbox(label="Answer", elem_id="visual-question-answering-answer"),
        "ranked": gr.Label(label="Ranked answers", elem_id="visual-question-answering-answers"),
    }


def prepare(image, question, top_k=5, max_new_tokens=32, limits=Limits()):
    picture = load_image(image, limits.max_image_side)
    if not (question or "").strip():
        raise UserError("Type a question about the image.")
    settings = {"top_k": int(top_k), "max_new_tokens": int(max_new_tokens)}  # each model kind uses its own
    return Call({"image": picture, "question": question.strip()}, settings)


def load(task, choice, placement):
    """VQA models (ViLT, BLIP-VQA) get the registered pipeline; other vision-language models answer as a chat."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_VISUAL_QUESTION_ANSWERING_MAPPING_NAMES

    from runtime.models import load_pipeline, model_source

    source = model_source(choice)
    config = AutoConfig.from_pretrained(source, revision=choice.revision, trust_remote_code=choice.trust_remote_code)
    if set(config.architectures or ()) & set(MODEL_FOR_VISUAL_QUESTION_ANSWERING_MAPPING_NAMES.values()):
        register()
        return load_pipeline(task, choice, placement)
    return load_pipeline(dataclasses.replace(task, name="image-text-to-text"), choice, placement)


def register():
    from transformers import AutoModelForVisualQuestionAnswering

    from runtime.pipelines import register_removed

    register_removed("visual-question-answering", pipeline_class(), AutoModelForVisualQuestionAnswering, "multimodal")


def run(pipe, call, progress=None):
    if pipe.task == "image-text-to-text":
        image, question = call.inputs["image"], call.inputs["question"]
        chat = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": question}]}]
        out = pipe(text=chat, max_new_tokens=call.kwargs["max_new_tokens"], return_full_text=False)
        return [{"answer": out[0]["generated_text"].strip()}]
    check_length(pipe.tokenizer, call.inputs["question"])
    return pipe(call.inputs, **call.kwargs)


def snippet(context) -> str:
    """Plain transformers for what `load` and `run` do (transformers 5 has no VQA pipeline): a VQA classifier (ViLT)
    ranks its answer labels, a generative VQA model (BLIP) writes one, any other model answers as an image chat."""
    import transformers
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_VISUAL_QUESTION_ANSWERING_MAPPING_NAMES

    from runtime.snippets import _Code, generic, load_lines, model_lines, processor_lines, render, written

    try:  # the run loaded the model: its config is at hand
        config = AutoConfig.from_pretrained(context.model, revision=context.revision,
                                            trust_remote_code=context.trust_remote_code)
    except Exception:  # noqa: BLE001 - no config at hand: the generic snippet still says how
        return generic(context)
    setup: list[str] = []
    image = render(context.call.inputs["image"], list(context.files), setup)
    question, kwargs = context.call.inputs["question"], context.call.kwargs
    vqa = [a for a in config.architectures or () if a in MODEL_FOR_VISUAL_QUESTION_ANSWERING_MAPPING_NAMES.values()]
    if not vqa:
        chat = [{"role": "user", "content": [{"type": "image", "image": _Code(image)}, {"type": "text", "text": question}]}]
        return written([
            "# a vision-language chat model answers in words", *load_lines(context, "image-text-to-text"), *setup,
            f"messages = {chat!r}",
            f"out = pipe(text=messages, max_new_tokens={kwargs['max_new_tokens']}, return_full_text=False)",
            "result = [{'answer': out[0]['generated_text'].strip()}]", "print(result)"],
            setup, ["from transformers import pipeline"])
    head = [*processor_lines(context, "AutoTokenizer.from_pretrained", "tokenizer"),
            *processor_lines(context, "AutoImageProcessor.from_pretrained", "image_processor"),
            *model_lines(context, "AutoModelForVisualQuestionAnswering.from_pretrained"), *setup,
            f"inputs = {{**tokenizer({question!r}, return_tensors='pt', truncation=True, padding=True),",
            f"          **image_processor(images={image}, return_tensors='pt').to(model.dtype)}}",
            "inputs = {k: v.to(model.device) for k, v in inputs.items()}"]
    imports = ["from transformers import AutoImageProcessor, AutoModelForVisualQuestionAnswering, AutoTokenizer"]
    if getattr(getattr(transformers, vqa[0], None), "can_generate", lambda: False)():
        return written([
            *head, "with torch.no_grad():", f"    ids = model.generate(**inputs, max_new_tokens={kwargs['max_new_tokens']})",
            "result = [{'answer': text.strip()} for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]",
            "print(result)"], setup, imports)
    return written([
        *head, "with torch.no_grad():", "    logits = model(**inputs).logits",
        "probabilities = logits.float().sigmoid()[0]  # VQA heads are multi-label: sigmoid, not softmax",
        f"scores, ids = probabilities.topk(min({kwargs['top_k']}, probabilities.numel()))",
        "result = [{'score': s, 'answer': model.config.id2label[i]} for s, i in zip(scores.tolist(), ids.tolist())]",
        "print(result)"], setup, imports)


def serve(pipe, inputs, parameters):
    """Endpoint mode: the tab's own run (a chat model answers too), as the Inference API answers: [{"answer",
    "score"}], a written answer without a score."""
    settings = {k: parameters[k] for k in ("top_k", "max_new_tokens") if k in parameters}
    return run(pipe, prepare(inputs["image"], inputs.get("question"), **settings))


def length_note(pipe, call, result) -> str:
    """A written answer from a model served elsewhere: the protocol sends top_k only, so its length is the server's."""
    written = getattr(pipe, "remote", False) and not any("score" in row for row in result)
    return "a written answer's length is the model server's" if written else ""


def check_length(tokenizer, question: str) -> None:
    """VQA models read a short window (ViLT: 40 tokens); a longer question is refused, not silently cut."""
    limit = getattr(tokenizer, "model_max_length", None)
    if not limit or limit >= 1_000_000 or len(question) <= limit:  # a token covers at least one character
        return
    tokens = len(tokenizer(question, truncation=False, verbose=False)["input_ids"])
    if tokens > limit:
        raise UserError(f"The question is {tokens} tokens long, but this model reads at most {limit}. "
                        "Please shorten it.")


def present(result, **_):
    ranked = {row["answer"]: row["score"] for row in result if "score" in row}
    return {"answer": result[0]["answer"] if result else "", "ranked": ranked or None}


TASK = Task(
    name="visual-question-answering",
    title="Visual question answering",
    modality="Multimodal",
    models=(
        "dandelin/vilt-b32-finetuned-vqa",
        "Salesforce/blip-vqa-base",
        "HuggingFaceTB/SmolVLM-256M-Instruct",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=load,
    run=run,
    snippet=snippet,
    remote=as_pipeline,  # image, question and top_k go by the protocol's names
    serve=serve,
    note=length_note,
    own_pipeline=True,
    examples=(
        {"image": "assets/chelsea.jpg", "question": "What animal is this?"},
        {"image": "assets/astronaut.jpg", "question": "What is the person wearing?"},
        {"image": "assets/coffee.jpg", "question": "Is there a cup?"},
    ),
    description=(
        "ViLT-class models pick from their known answers, with scores (transformers 5 removed this pipeline: "
        "this app brings it back); vision-language chat models write an answer."
    ),
)
