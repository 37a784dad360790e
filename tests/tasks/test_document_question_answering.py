import pytest
from gradio_client import handle_file
from PIL import Image

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save, wordpiece_tokenizer
from tasks.document_question_answering import INSTALL_TESSERACT, prepare, present, read_words

TASK = "document-question-answering"


def build_tiny(folder):
    from transformers import LayoutLMConfig, LayoutLMForQuestionAnswering

    tokenizer = wordpiece_tokenizer(model_max_length=128)  # without it, long pages overflow the positions
    config = LayoutLMConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=128, max_2d_position_embeddings=1024,
    )
    save(folder, LayoutLMForQuestionAnswering(config), tokenizer)


TINY = (TinyModel("tiny-layoutlm", build_tiny),)


def test_prepare_loads_the_page_and_keeps_ocr_language(asset):
    call = prepare(image=asset("invoice.png"), question="  What is the invoice number? ", top_k=2, lang="deu")
    assert call.inputs["image"].mode == "RGB" and call.inputs["image"].size == (900, 820)
    assert call.inputs["question"] == "What is the invoice number?"
    assert call.kwargs == {"top_k": 2, "lang": "deu"}


def test_prepare_refuses_missing_page_and_question(asset):
    with pytest.raises(UserError, match="Add an image"):
        prepare(image=None, question="What?")
    with pytest.raises(UserError, match="Type a question"):
        prepare(image=asset("invoice.png"), question="   ")


def test_present_draws_every_word_and_the_answer_span():
    page = Image.new("RGB", (200, 100), "white")
    result = {
        "answers": [{"answer": "INV-2024-117 Date:", "score": 0.5, "start": 1, "end": 2}],
        "words": ["number:", "INV-2024-117", "Date:"],
        "boxes": [[10, 10, 50, 20], [60, 10, 120, 22], [10, 40, 40, 50]],
        "page": page,
    }
    out = present(result, image="upload.png", question="What is the invoice number?", top_k=3, lang="eng")
    assert set(out) == {"answers", "page"}
    label, (image, marks) = out["answers"], out["page"]
    assert label == {"INV-2024-117 Date:": 0.5}
    assert image is page and [name for _, name in marks] == ["OCR words", "Answer"]
    words = marks[0][0]
    assert words.shape == (100, 200) and words[15, 30] > 0 and words[16, 90] > 0 and words[45, 25] > 0
    assert words[80, 150] == 0 and words[5, 5] == 0  # nothing drawn outside the words
    assert marks[1][0] == (10, 10, 120, 50)  # the union of the span's boxes


def test_present_without_an_answer():
    nothing = [{"answer": "", "score": 0.1, "start": 0, "end": 0}]
    result = {"answers": nothing, "words": [], "boxes": [], "page": Image.new("RGB", (8, 8))}
    out = present(result, image="p.png", question="What?", top_k=3, lang="eng")
    label, (_, marks) = out["answers"], out["page"]
    assert label == {"(no answer found)": 0.0} and marks == []


def test_real_ocr_reads_the_rendered_invoice(asset):
    words, boxes = read_words(Image.open(asset("invoice.png")).convert("RGB"), "eng")
    assert {"Invoice", "number:", "INV-2024-117"} <= set(words)
    assert all(0 <= x1 < x2 <= 900 and 0 <= y1 < y2 <= 820 for x1, y1, x2, y2 in boxes)


def test_end_to_end_with_real_ocr(predict, tiny, asset):
    out = predict(
        TASK, model=tiny(TASK), image=handle_file(asset("invoice.png")),
        question="What is the invoice number?", top_k=3, lang="eng",
    )
    label, page, raw, status = out["answers"], out["page"], out["raw"], out["status"]
    words = raw["words"]
    assert {"Invoice", "number:", "INV-2024-117"} <= set(words)  # tesseract really read the page
    answers = raw["answers"]
    assert 1 <= len(answers) <= 3
    for answer in answers:
        span = words[answer["start"] : answer["end"] + 1]
        assert answer["answer"] == " ".join(span) and span  # every answer is made of the page's words
        assert 0.0 <= answer["score"] <= 1.0
    assert {c["label"] for c in label["confidences"]} == {a["answer"] for a in answers if a["answer"]}
    assert [a["label"] for a in page["annotations"]] == ["OCR words", "Answer"]
    drawn = Image.open(local(page["annotations"][0]["image"])).getchannel("A")
    number = raw["boxes"][words.index("INV-2024-117")]
    assert drawn.getpixel((number[0], (number[1] + number[3]) // 2)) > 0  # the invoice number's box is outlined
    assert drawn.getpixel((5, 5)) == 0 and Image.open(local(page["image"])).size == (900, 820)
    assert "tiny-layoutlm" in status


def local(file):
    return file if isinstance(file, str) else file["path"]  # the client hands files back as local paths


def test_missing_tesseract_says_what_to_install(predict, tiny, asset, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # the server runs in this process: tesseract is now off its PATH
    with pytest.raises(Exception) as error:
        predict(
            TASK, model=tiny(TASK), image=handle_file(asset("invoice.png")), question="What is the total?", top_k=1,
            lang="eng",
        )
    assert "apt-get install tesseract-ocr" in str(error.value)
    assert INSTALL_TESSERACT in str(error.value)
    monkeypatch.undo()
    out = predict(
        TASK, model=tiny(TASK), image=handle_file(asset("invoice.png")), question="What is the total?", top_k=1,
        lang="eng",
    )
    assert out["raw"]["answers"]  # the next request works


def test_missing_language_data_names_the_package(predict, tiny, asset):
    import pytesseract

    if "deu" in pytesseract.get_languages(config=""):
        pytest.skip("German OCR data is installed here")
    with pytest.raises(Exception, match="tesseract-ocr-deu"):
        predict(
            TASK, model=tiny(TASK), image=handle_file(asset("invoice.png")), question="Was ist die Summe?", top_k=1,
            lang="deu",
        )
