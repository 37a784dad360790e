"""Document question answering: a scanned page and a question in, the answer (with its box on the page) out."""

import shutil

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

LANGUAGES = (  # tesseract language codes; each needs the Debian package tesseract-ocr-<code> (English ships with it)
    ("English", "eng"), ("German", "deu"), ("French", "fra"), ("Spanish", "spa"), ("Italian", "ita"),
    ("Portuguese", "por"), ("Dutch", "nld"),
)
INSTALL_TESSERACT = (
    "Reading text from documents needs the Tesseract OCR program, which is not installed on this server. "
    "Install the Debian/Ubuntu package tesseract-ocr (sudo apt-get install tesseract-ocr; on Hugging Face Spaces "
    "add the line tesseract-ocr to packages.txt) and the Python package pytesseract, then restart the app. "
    "OCR-free models such as Donut work without it."
)


def inputs():
    import gradio as gr

    return {
        "image": gr.Image(
            label="Document", type="filepath", sources=["upload", "webcam", "clipboard"],
            elem_id="document-question-answering-image",
        ),
        "question": gr.Textbox(
            label="Question", placeholder="What is the invoice number?", elem_id="document-question-answering-question"
        ),
    }


def params():
    import gradio as gr

    return {
        "top_k": gr.Slider(1, 10, value=3, step=1, label="Answers", elem_id="document-question-answering-top-k"),
        "lang": gr.Dropdown(
            choices=list(LANGUAGES), value="eng", label="OCR language", elem_id="document-question-answering-lang",
            info="Language of the page's text, for Tesseract OCR",
        ),
    }


def outputs():
    import gradio as gr

    return {
        "answers": gr.Label(label="Answers", elem_id="document-question-answering-answers"),
        "page": gr.AnnotatedImage(
            label="OCR words and the answer on the page", color_map={"OCR words": "#3b82f6", "Answer": "#f97316"},
            elem_id="document-question-answering-page",
        ),
    }


def prepare(image, question, top_k=3, lang="eng", limits=Limits()):
    page = load_image(image, limits.max_image_side)
    if not (question or "").strip():
        raise UserError("Type a question about the document.")
    return Call({"image": page, "question": question.strip()}, {"top_k": int(top_k), "lang": lang or "eng"})


def run(pipe, call, progress=None):
    """OCR here (not inside the pipeline) so the words' boxes can be drawn; OCR-free models (Donut) skip it."""
    from transformers.pipelines.document_question_answering import ModelType

    kwargs = dict(call.kwargs)
    lang = kwargs.pop("lang")
    page, question = call.inputs["image"], call.inputs["question"]
    if pipe.model_type == ModelType.VisionEncoderDecoder:
        answers = pipe(image=page, question=question, **kwargs)
        return {"answers": as_list(answers), "words": [], "boxes": [], "page": page}
    words, boxes = read_words(page, lang)
    if not words:
        raise UserError("No text was found on this page. Try a sharper scan, or check the OCR language.")
    normalised = [[int(1000 * x / size) for x, size in zip(box, page.size * 2)] for box in boxes]
    answers = pipe(image=page, question=question, word_boxes=list(zip(words, normalised)), **kwargs)
    return {"answers": as_list(answers), "words": words, "boxes": boxes, "page": page}  # page: as OCR saw it


def remote(model, call, progress=None):
    """A model served elsewhere reads the page itself; this app in endpoint mode sends its OCR words and their boxes
    with the first answer (see serve), so the page shows them here too."""
    page = call.inputs["image"]
    answers = model(call.inputs, **call.kwargs)
    first = answers[0] if answers else {}
    words, boxes, size = first.pop("words", []), first.pop("boxes", []), tuple(first.pop("page_size", page.size))
    if size != page.size:  # the server read a smaller copy: its boxes, scaled to this page
        boxes = [[round(v * new / old) for v, new, old in zip(box, page.size * 2, size * 2)] for box in boxes]
    return {"answers": answers, "words": words, "boxes": boxes, "page": page}


def serve(pipe, inputs, parameters):
    """Endpoint mode: the tab's own run (its OCR), as the Inference API answers: [{"answer", "score", "start",
    "end"}]; the first answer also carries the page's OCR words, their pixel boxes and the page's size, which that
    answer has no place for (InferenceClient keeps such keys)."""
    settings = {k: parameters[k] for k in ("top_k", "lang") if k in parameters}
    result = run(pipe, prepare(inputs["image"], inputs.get("question"), **settings))
    answers = result["answers"]
    if answers and result["words"]:
        answers[0] = {**answers[0], "words": result["words"], "boxes": result["boxes"],
                      "page_size": list(result["page"].size)}
    return answers


def read_words(page, lang: str) -> tuple[list[str], list[list[int]]]:
    """Tesseract's words and their pixel boxes (x1, y1, x2, y2), or a UserError saying exactly what to install."""
    try:
        import pytesseract
    except ImportError as error:
        raise UserError(INSTALL_TESSERACT) from error
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise UserError(INSTALL_TESSERACT)
    if lang not in pytesseract.get_languages(config=""):
        name = dict((code, label) for label, code in LANGUAGES).get(lang, lang)
        raise UserError(
            f"OCR in {name} needs Tesseract's {name} data, which this server lacks: install the Debian package "
            f"tesseract-ocr-{lang} (on Hugging Face Spaces add it to packages.txt), or pick another OCR language."
        )
    data = pytesseract.image_to_data(page, lang=lang, output_type=pytesseract.Output.DICT)
    found = [
        (word, [x, y, x + w, y + h])
        for word, x, y, w, h in zip(data["text"], data["left"], data["top"], data["width"], data["height"])
        if word.strip()
    ]
    return [w for w, _ in found], [b for _, b in found]


def snippet(context) -> str:
    """Plain transformers: the page read by Tesseract word by word as `run` does, its boxes on the 0-1000 scale
    the model takes; OCR-free models (Donut) read the page themselves."""
    from transformers import AutoConfig

    from runtime.snippets import generic, literal, load_lines, render, written

    try:  # the run loaded the model: its config is at hand
        config = AutoConfig.from_pretrained(context.model, revision=context.revision,
                                            trust_remote_code=context.trust_remote_code)
    except Exception:  # noqa: BLE001 - no config at hand: the generic snippet still says how
        return generic(context)
    kwargs = dict(context.call.kwargs)
    lang = kwargs.pop("lang")
    setup: list[str] = []
    page = render(context.call.inputs["image"], list(context.files), setup)
    question = context.call.inputs["question"]
    written_kwargs = "".join(f", {k}={literal(v)}" for k, v in kwargs.items())
    if config.model_type == "vision-encoder-decoder":
        return written([*load_lines(context), *setup, "# an OCR-free model: it reads the page itself",
                        f"result = pipe(image={page}, question={question!r}{written_kwargs})", "print(result)"],
                       setup, ["from transformers import pipeline"])
    return written([
        *load_lines(context), *setup,
        f"data = pytesseract.image_to_data({page}, lang={lang!r}, output_type=pytesseract.Output.DICT)  # OCR",
        f"width, height = {page}.size",
        "word_boxes = [(word, [int(1000 * x / width), int(1000 * y / height), int(1000 * (x + w) / width),",
        "                      int(1000 * (y + h) / height)])  # each word's box on the 0-1000 scale",
        "              for word, x, y, w, h in zip(data['text'], data['left'], data['top'], data['width'],",
        "                                          data['height']) if word.strip()]",
        f"result = pipe(image={page}, question={question!r}, word_boxes=word_boxes{written_kwargs})", "print(result)"],
        setup, ["import pytesseract", "from transformers import pipeline"])


def as_list(answers) -> list[dict]:
    return answers if isinstance(answers, list) else [answers]


def present(result, **_):
    """Answers with scores; the page with one layer for all OCR words (one legend entry) and one for the answer."""
    answers = [a for a in result["answers"] if a.get("answer")]
    label = {a["answer"]: a["score"] for a in answers} or {"(no answer found)": 0.0}
    page, boxes = result["page"], result["boxes"]
    marks = [(outline(boxes, page.size), "OCR words")] if boxes else []
    if answers and "start" in answers[0] and boxes:
        span = boxes[answers[0]["start"] : answers[0]["end"] + 1]
        union = (min(b[0] for b in span), min(b[1] for b in span), max(b[2] for b in span), max(b[3] for b in span))
        marks.append((union, "Answer"))
    return {"answers": label, "page": (page, marks)}


def outline(boxes, size, border: int = 2):
    """A 0-1 mask of the boxes: faint inside, solid edges."""
    import numpy as np

    mask = np.zeros((size[1], size[0]), dtype=np.float32)
    for x1, y1, x2, y2 in boxes:
        mask[y1:y2, x1:x2] = np.maximum(mask[y1:y2, x1:x2], 0.2)
        mask[y1:y2, x1 : x1 + border] = mask[y1:y2, x2 - border : x2] = 1.0
        mask[y1 : y1 + border, x1:x2] = mask[y2 - border : y2, x1:x2] = 1.0
    return mask


TASK = Task(
    name="document-question-answering",
    title="Document question answering",
    modality="Multimodal",
    models=(
        "impira/layoutlm-document-qa",
        "impira/layoutlm-invoices",
        "naver-clova-ix/donut-base-finetuned-docvqa",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    examples=(
        {"image": "assets/invoice.png", "question": "What is the invoice number?"},
        {"image": "assets/invoice.png", "question": "What is the total due?"},
        {"image": "assets/receipt.png", "question": "What is the total?"},
    ),
    description=(
        "LayoutLM-class models read the page's words (Tesseract OCR) and point at the answer; "
        "Donut reads the image itself, without OCR."
    ),
)
