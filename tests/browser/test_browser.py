"""The app in a real browser: drag and drop, keyboard, uploads, deep links, errors, streaming; screenshots per modality."""

import re
import time
from pathlib import Path

import pytest

from tasks import REGISTRY

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def widget_ids(task_name: str) -> tuple[dict[str, str], dict[str, str]]:
    """The elem_ids of a task's input and output widgets by name, from its own builders (a chat's conversation is
    the app's, `<task>-chat`, named "history")."""
    import gradio as gr

    task = REGISTRY[task_name]
    with gr.Blocks():
        inputs = {name: c.elem_id for name, c in task.inputs().items()}
        outputs = {name: c.elem_id for name, c in task.outputs().items()}
    return inputs, ({"history": f"{task.name}-chat"} if task.conversation else {}) | outputs


def long_generation(page, task_name: str, tokens: int = 200) -> None:
    """Sets the tab's 'tokens' sliders so a generation runs long enough to be stopped.

    Not to thousands: the browser re-renders the whole text per token, and thousands of updates stall its page.
    """
    import gradio as gr

    with gr.Blocks():
        sliders = [c for c in REGISTRY[task_name].params().values() if isinstance(c, gr.Slider) and "token" in
                   (c.label or "").lower()]
    if sliders and not page.locator(f"#{sliders[0].elem_id}").is_visible():
        open_panel(page, f"{task_name}-params")
    for slider in sliders:
        number = page.locator(f"#{slider.elem_id} input[type='number']")
        number.fill(str(int(min(slider.maximum, tokens))))
        number.press("Enter")


def needs(task_name: str) -> None:
    if task_name not in REGISTRY:
        why = REGISTRY.left_out.get(task_name, "its tab is not in the registry yet")
        pytest.skip(f"the {task_name} tab is not registered here ({why})")


def open_tab(page, app_url: str, task_name: str) -> None:
    page.goto(f"{app_url}/?task={task_name}")
    page.locator(f"#{task_name}-run").wait_for(state="visible")


def drop_file(page, selector: str, path: Path, mime: str) -> None:
    """A real drag and drop: dragenter, dragover and drop events carrying a DataTransfer that holds the File."""
    page.locator(selector).evaluate(
        """(zone, [data, name, mime]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
            }
        }""",
        [__import__("base64").b64encode(path.read_bytes()).decode(), path.name, mime],
    )


def open_panel(page, elem_id: str) -> None:
    """Opens an accordion (its content is rendered when first opened)."""
    page.locator(f"#{elem_id} button.label-wrap").first.click()


def wait_status(page, task_name: str):
    status = page.locator(f"#{task_name}-status")
    status.filter(has_text="inference").wait_for()
    return status.inner_text()


def test_deep_link_opens_the_image_tab_with_its_model(page, app_url, tiny):
    model = tiny("image-classification")
    page.goto(f"{app_url}/?task=image-classification&model={model}")
    page.locator("#image-classification-run").wait_for(state="visible")
    assert page.locator("#tab-text-classification").is_hidden()
    assert "tiny-vit" in page.locator("#image-classification-model input").input_value()
    assert "ViTForImageClassification" in page.locator("#image-classification-model-info").inner_text()


def test_deep_link_to_object_detection(page, app_url):
    """The linked tab is the first one seen: the landing tab never shows on the way (no visible jump)."""
    needs("object-detection")
    page.add_init_script("""new MutationObserver(() => {
        const runs = [...document.querySelectorAll("button[id$='-run']")].filter(
            (b) => b.checkVisibility({visibilityProperty: true}));
        window.seen = [...new Set([...(window.seen || []), ...runs.map((b) => b.id)])];
    }).observe(document, {subtree: true, childList: true, attributes: true});""")
    open_tab(page, app_url, "object-detection")
    page.wait_for_function("(window.seen || []).includes('object-detection-run')")
    assert page.locator("#object-detection-run").is_visible()
    assert page.locator("#image-classification-run").is_hidden()
    assert page.evaluate("window.seen") == ["object-detection-run"]


def test_drag_and_drop_an_image_and_see_labels(page, app_url, screenshot):
    open_tab(page, app_url, "image-classification")
    drop_file(page, "#image-classification-image button.upload-container", ASSETS / "chelsea.jpg", "image/jpeg")
    page.locator("#image-classification-image img").first.wait_for()  # the dropped photo is shown
    page.locator("#image-classification-run").click()
    status = wait_status(page, "image-classification")
    assert "tiny-vit" in status
    shown = page.locator("#image-classification-labels").inner_text()
    assert any(label in shown for label in ("cat", "dog", "astronaut", "rocket", "coffee cup")), shown
    open_panel(page, "image-classification-code-panel")
    code = page.locator("#image-classification-code")
    code.filter(has_text="pipeline('image-classification'").wait_for()  # Markdown renders a moment after it opens
    assert "pipeline('image-classification'" in code.inner_text() and "Image.open('chelsea.jpg')" in code.inner_text()
    screenshot(page, "Vision")


def test_ctrl_enter_and_the_button_run_a_text_tab(page, app_url, screenshot):
    open_tab(page, app_url, "text-classification")
    box = page.locator("#text-classification-text textarea")
    box.fill("I love how easy this is")
    box.press("Control+Enter")
    first = wait_status(page, "text-classification")
    assert re.search(r"POSITIVE|NEGATIVE", page.locator("#text-classification-labels").inner_text())
    open_panel(page, "text-classification-code-panel")
    code = page.locator("#text-classification-code")
    code.filter(has_text="I love how easy this is").wait_for()  # refreshed after the Ctrl+Enter run
    box.fill("A second sentence, run with the button")
    page.locator("#text-classification-run").click()
    code.filter(has_text="A second sentence, run with the button").wait_for()  # refreshed after this run
    assert "inference" in first and "pipeline('text-classification'" in code.inner_text()
    code.locator("button").first.click()  # the code block's copy button: the Python itself, no Markdown fence
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "pipeline('text-classification'" in copied and "```" not in copied, copied
    screenshot(page, "Text")


def test_the_bar_at_the_top_opens_each_modalitys_page_with_only_its_tabs(page, app_url):
    groups = {modality: tasks for modality, tasks in REGISTRY.by_modality().items() if tasks}
    page.goto(app_url)
    for modality, tasks in groups.items():
        page.get_by_role("link", name=modality, exact=True).first.click()
        page.locator(f"#{tasks[0].name}-run").wait_for(state="visible")  # the page's first tab is shown
        others = [t.name for m, ts in groups.items() if m != modality for t in ts]
        assert page.locator(", ".join(f"#{name}-run" for name in others)).count() == 0  # no other page's tabs


def test_copy_link_puts_the_tab_and_model_in_the_address(page, app_url, tiny):
    open_tab(page, app_url, "text-classification")
    page.locator("#text-classification-link").click()
    page.wait_for_function("location.search.includes('task=text-classification')")
    assert "model=" in page.url and "tiny-bert-sentiment" in page.url
    assert "/tmp" not in page.url and "%2F" not in page.url  # the model by its name, never a server folder
    assert "task=text-classification" in page.evaluate("navigator.clipboard.readText()")
    page.locator("#text-classification-link").filter(has_text="copied").wait_for(timeout=1500)  # seen to work
    page.goto(page.url)  # the copied link opens the tab with the model
    assert "tiny-bert-sentiment" in page.locator("#text-classification-model input").input_value()
    page.locator("#text-classification-link").filter(has_text="Copy link").wait_for()


def test_a_link_to_no_such_tab_suggests_the_nearest_one(page, app_url):
    page.goto(f"{app_url}/?task=text-clasification")
    toast = page.locator("[data-testid='toast-body']").filter(has_text="There is no 'text-clasification' tab here")
    toast.wait_for()
    assert "Did you mean Text classification (?task=text-classification)?" in toast.inner_text()
    assert "zero-shot" not in toast.inner_text()  # no list of every tab's internal name


def test_upload_a_wav_and_see_the_transcript(page, app_url, predict, tiny, screenshot):
    from gradio_client import handle_file

    inputs, outputs = widget_ids("automatic-speech-recognition")
    (text,) = [name for name, elem_id in outputs.items() if elem_id == "automatic-speech-recognition-text"]
    expected = predict("automatic-speech-recognition", model=tiny("automatic-speech-recognition"),
                       audio=handle_file(str(ASSETS / "speech_short.wav")))[text]
    open_tab(page, app_url, "automatic-speech-recognition")
    audio = page.locator("#automatic-speech-recognition-audio")
    audio.locator("button[aria-label='Upload file']").click()
    audio.locator("input[data-testid='file-upload']").set_input_files(str(ASSETS / "speech_short.wav"))
    audio.locator("audio, [data-testid='waveform-Audio'], .waveform-container").first.wait_for()
    page.locator("#automatic-speech-recognition-run").click()
    assert "tiny-wav2vec2-ctc" in wait_status(page, "automatic-speech-recognition")
    shown = page.locator("#automatic-speech-recognition-text textarea").input_value()
    assert shown == expected  # the random-weight model's transcript, exactly what the API says
    screenshot(page, "Audio")


def test_bad_input_shows_a_toast_and_the_page_keeps_working(page, app_url):
    open_tab(page, app_url, "text-classification")
    page.locator("#text-classification-text textarea").fill("   ")
    page.locator("#text-classification-run").click()
    toast = page.locator("[data-testid='toast-body']")
    toast.filter(has_text="Type some text").wait_for()
    page.locator("#text-classification-status").filter(has_text="Type some text").wait_for()  # kept after the toast
    assert page.locator("#text-classification-labels .error, #text-classification-json .error").count() == 0
    page.locator("#text-classification-text textarea").fill("Now a real sentence")
    page.locator("#text-classification-run").click()
    assert "inference" in wait_status(page, "text-classification")
    assert re.search(r"POSITIVE|NEGATIVE", page.locator("#text-classification-labels").inner_text())


def test_batch_of_texts_fills_a_table(page, app_url, tmp_path):
    (tmp_path / "texts.txt").write_text("great\nterrible\nfine\n")
    open_tab(page, app_url, "text-classification")
    open_panel(page, "text-classification-batch-panel")
    page.locator("#text-classification-batch-files input[data-testid='file-upload']").set_input_files(
        str(tmp_path / "texts.txt"))
    page.locator("#text-classification-batch-files").filter(has_text="texts.txt").wait_for()
    page.locator("#text-classification-batch-run").click()
    table = page.locator("#text-classification-batch-table")
    table.filter(has_text="terrible").wait_for()
    assert re.search(r"POSITIVE|NEGATIVE", table.inner_text())
    page.locator("#text-classification-batch-csv").filter(has_text="results").wait_for()  # the CSV to download


def generating() -> bool:
    """Whether a streamed generation is running in the app under test (it is served in this process)."""
    import threading

    return any(t.name == "stream-generate" and t.is_alive() for t in threading.enumerate())


def test_streaming_generation_grows_and_stops(page, app_url, tiny):
    """The chat tab (the tiny model has a chat template): the reply grows token by token, Stop ends the generation
    itself (not just the display), and the next message continues the conversation."""
    from transformers import AutoTokenizer

    needs("text-generation")
    inputs, outputs = widget_ids("text-generation")
    assert REGISTRY["text-generation"].conversation
    chat = outputs["history"]
    open_tab(page, app_url, "text-generation")
    page.locator(f"#{inputs['message']} textarea").fill("Once upon a time")
    long_generation(page, "text-generation", tokens=1024)  # far more than can be generated before Stop
    page.evaluate(  # records every text of the latest reply, in the page itself: per-token renders keep it busy
        """(id) => {
            window.reply = () => {  // a message's aria-label is its plain text (the bubble shows it as markdown)
                const bots = document.querySelectorAll(`#${id} [data-testid='bot']`);
                const label = bots.length ? bots[bots.length - 1].getAttribute("aria-label") || "" : "";
                return label.replace(/^bot's message: /, "");
            };
            window.seenTexts = [];
            window.setInterval(() => {
                const text = window.reply();
                if (text && text !== window.seenTexts.at(-1)) window.seenTexts.push(text);
            }, 15);
        }""",
        chat,
    )
    page.locator("#text-generation-run").click()
    page.wait_for_function("window.seenTexts.length >= 2", timeout=120_000)  # the reply has grown once
    page.locator("#text-generation-stop").click()  # at once: a busy page may show only a few of the updates
    deadline = time.monotonic() + 10
    while generating() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not generating(), "the model kept generating after Stop"
    page.wait_for_timeout(1000)  # the last chunks in flight arrive
    stopped = page.evaluate("window.reply()")
    page.wait_for_timeout(2000)
    assert page.evaluate("window.reply()") == stopped, "the reply kept growing after Stop"

    seen = page.evaluate("window.seenTexts")
    assert all(b.startswith(a) for a, b in zip(seen, seen[1:])), f"the reply was not appended to: {seen}"
    assert stopped.startswith(seen[0]) and len(stopped) > len(seen[0])
    tokens = len(AutoTokenizer.from_pretrained(tiny("text-generation"))(stopped)["input_ids"])
    assert tokens < 1024, "the reply ran to its limit: Stop did not cut it short"  # a full one re-tokenizes to ~1600
    assert page.locator(f"#{chat} [data-testid='user']").first.get_attribute("aria-label").endswith("Once upon a time")
    assert "Chat mode" in page.locator("#text-generation-mode").inner_text()

    long_generation(page, "text-generation", tokens=5)  # the tab runs again, and the chat goes on
    page.locator(f"#{inputs['message']} textarea").fill("And then?")
    page.locator("#text-generation-run").click()
    page.locator(f"#{chat} [data-testid='user']").nth(1).wait_for()
    page.wait_for_function(f"document.querySelectorAll('#{chat} [data-testid=bot]').length == 2 && window.reply()")
    assert page.locator(f"#{chat} [data-testid='bot']").first.get_attribute("aria-label").endswith(stopped)


def test_document_question_answering_upload(page, app_url, screenshot):
    needs("document-question-answering")
    inputs, outputs = widget_ids("document-question-answering")
    open_tab(page, app_url, "document-question-answering")
    first = REGISTRY["document-question-answering"].examples[0]  # the tab's own first example
    (document, image), (asked, question) = [(first[n], inputs[n]) for n in first if n in inputs][:2]
    page.locator(f"#{image} input[data-testid='file-upload']").set_input_files(str(ASSETS.parent / document))
    page.locator(f"#{image} img").first.wait_for()
    page.locator(f"#{question} textarea, #{question} input").first.fill(asked)
    page.locator("#document-question-answering-run").click()
    assert "inference" in wait_status(page, "document-question-answering")
    assert page.locator("[data-testid='toast-body']").count() == 0
    assert "Error" not in page.locator(f"#{next(iter(outputs.values()))}").inner_text()  # the answer shows, not an error badge
    screenshot(page, "Multimodal")


def test_compare_on_the_chat_tab_shows_two_answers_each_in_its_own_conversation(page, app_url):
    """A presenter's Compare on text generation: both sides answer the message in a chat of their own, and the tab's
    own conversation is left as it was."""
    needs("text-generation")
    open_tab(page, app_url, "text-generation")
    page.locator("#text-generation-message textarea").fill("Hello there")
    long_generation(page, "text-generation", tokens=8)
    open_panel(page, "text-generation-compare-panel")
    page.locator("#text-generation-compare").click()
    for side in ("a", "b"):
        page.locator(f"#text-generation-compare-{side}-status").filter(has_text="inference").wait_for(timeout=60_000)
        chat = page.locator(f"#text-generation-compare-{side}-history")
        assert chat.locator("[data-testid='user']").first.get_attribute("aria-label").endswith("Hello there")
        assert chat.locator("[data-testid='bot']").count() == 1
    assert page.locator("#text-generation-chat [data-testid='user']").count() == 0  # the tab's own chat: untouched
    assert page.locator("[data-testid='toast-body']").count() == 0


def test_a_chat_message_is_sent_with_enter_and_the_box_is_emptied_once_answered(page, app_url):
    """Image chat: Enter in the message box sends it (as the send arrow does); once answered, the box is empty, so
    the next question does not send the same photo again. Text generation empties its box too."""
    needs("image-text-to-text")
    open_tab(page, app_url, "image-text-to-text")
    long_generation(page, "image-text-to-text", tokens=4)
    box = page.locator("#image-text-to-text-message textarea")
    box.fill("What is in this picture?")
    box.press("Enter")
    chat = page.locator("#image-text-to-text-chat")
    chat.locator("[data-testid='bot']").first.wait_for(timeout=60_000)
    page.locator("#image-text-to-text-status").filter(has_text="inference").wait_for()
    page.wait_for_function("document.querySelector('#image-text-to-text-message textarea').value === ''")
    assert chat.locator("[data-testid='user']").count() == 1
    box.fill("And now?")
    box.press("Enter")
    page.wait_for_function("document.querySelectorAll('#image-text-to-text-chat [data-testid=bot]').length == 2",
                           timeout=60_000)
    assert chat.locator("[data-testid='user']").count() == 2  # one bubble per question: nothing sent twice

    needs("text-generation")
    open_tab(page, app_url, "text-generation")
    long_generation(page, "text-generation", tokens=4)
    page.locator("#text-generation-message textarea").fill("Hello")
    page.locator("#text-generation-run").click()
    page.wait_for_function("document.querySelector('#text-generation-message textarea').value === ''",
                           timeout=60_000)
    assert page.locator("#text-generation-chat [data-testid='bot']").count() == 1


def test_omni_chat_takes_an_image_and_a_recording_in_one_message(page, app_url):
    """Omni chat: a photo and a WAV added to the message box, sent with Enter; both stay in the user's bubble and
    the answer streams in below."""
    needs("any-to-any")
    open_tab(page, app_url, "any-to-any")
    long_generation(page, "any-to-any", tokens=4)
    page.locator("#any-to-any-message input[type='file']").set_input_files(
        [str(ASSETS / "chelsea.jpg"), str(ASSETS / "speech_short.wav")])
    page.locator("#any-to-any-message img").first.wait_for()
    box = page.locator("#any-to-any-message textarea")
    box.fill("What do you see and hear?")
    box.press("Enter")
    chat = page.locator("#any-to-any-chat")
    chat.locator("[data-testid='bot']").first.wait_for(timeout=60_000)
    assert "inference" in wait_status(page, "any-to-any")
    assert chat.locator("img").count() >= 1 and chat.locator("audio").count() == 1  # the photo and the recording
    assert page.locator("[data-testid='toast-body']").count() == 0


def test_decision_answers_each_question_with_bars(page, app_url):
    """Decision: the ticket-triage example run as it opens; each of its three questions gets its bars and a row."""
    needs("decision")
    open_tab(page, app_url, "decision")
    page.locator("#decision-state textarea").fill(REGISTRY["decision"].examples[0]["state"])
    page.locator("#decision-run").click()
    assert "inference" in wait_status(page, "decision")
    answers = page.locator("#decision-answers")
    for name in ("refund", "urgency", "department"):
        assert name in answers.inner_text()
    assert answers.locator("span[style*='width:']").count() == 2 + 4 + 3  # a bar per option
    summary = page.locator("#decision-table").inner_text()
    assert all(name in summary for name in ("refund", "urgency", "department"))
    assert page.locator("[data-testid='toast-body']").count() == 0


@pytest.mark.parametrize("task_name", sorted(t.name for t in REGISTRY.values() if t.streams and t.conversation))
def test_stop_keeps_the_partial_answer_and_says_stopped(page, app_url, served, task_name):
    """Every streamed chat: Stop ends generation and leaves the conversation with the answer so far, a status line
    that says "stopped", and no "Error" badge anywhere; the next message goes on in the same conversation."""
    open_tab(page, app_url, task_name)
    long_generation(page, task_name, tokens=1024)
    page.locator(f"#{task_name}-message textarea").fill("Tell me a long story")
    page.locator(f"#{task_name}-run").click()
    chat = page.locator(f"#{task_name}-chat")
    deadline = time.monotonic() + 60  # a tiny model writes 1,024 tokens in a few seconds: Stop as soon as it writes
    while not (served[0].tabs[task_name].stops and generating()) and time.monotonic() < deadline:
        time.sleep(0.05)  # this page's stream has begun, and its model generates (loaded, prompt read)
    time.sleep(0.3)
    page.locator(f"#{task_name}-stop").click()
    status = page.locator(f"#{task_name}-status")
    status.filter(has_text="stopped").wait_for(timeout=30_000)  # a loaded 2-core machine: what counts is that it stops
    deadline = time.monotonic() + 10
    while generating() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not generating(), "the model kept generating after Stop"
    page.wait_for_timeout(1000)
    assert "Error" not in status.inner_text() and "Error" not in chat.inner_text()
    assert page.locator(".error, [data-testid='toast-body']").count() == 0
    assert chat.locator("[data-testid='user']").count() == 1 and chat.locator("[data-testid='bot']").count() == 1
    assert chat.locator("[data-testid='bot']").first.get_attribute("aria-label").strip() != "bot's message:"

    long_generation(page, task_name, tokens=3)
    page.locator(f"#{task_name}-message textarea").fill("And then?")
    page.locator(f"#{task_name}-run").click()
    page.wait_for_function(f"document.querySelectorAll('#{task_name}-chat [data-testid=bot]').length == 2",
                           timeout=60_000)
    status.filter(has_text="inference").wait_for()
    assert "stopped" not in status.inner_text()


def audio_inputs():
    import gradio as gr

    for task in REGISTRY.values():
        with gr.Blocks():
            for name, widget in task.inputs().items():
                if isinstance(widget, gr.Audio):
                    yield pytest.param(task.name, widget.elem_id, id=f"{task.name}-{name}")


@pytest.mark.parametrize("task_name, elem_id", list(audio_inputs()))
def test_a_wav_dropped_on_an_audio_tab_as_it_opens_is_taken(page, app_url, task_name, elem_id):
    """Every audio input opens ready for a file (upload first, microphone second): a dropped WAV is taken and runs."""
    open_tab(page, app_url, task_name)
    drop_file(page, f"#{elem_id} button.upload-container", ASSETS / "speech_short.wav", "audio/wav")
    page.wait_for_function(  # the dropped file is taken: the player has it (its <audio> may stay hidden) or names it
        "(id) => { const el = document.getElementById(id); return !!el && (el.querySelector('audio[src]') !== null"
        " || el.innerText.includes('speech_short.wav')); }", arg=elem_id)
    page.locator(f"#{task_name}-run").click()
    assert "inference" in wait_status(page, task_name)
    assert page.locator("[data-testid='toast-body']").count() == 0


def test_every_tab_keeps_a_refusal_in_its_status_line_without_error_badges(page, app_url):
    """Run on a tab as it opens (nothing typed or added yet) is refused: the sentence stays in the status line after
    the toast is gone, and no output is left with an "Error" badge."""
    import gradio as gr

    for task in REGISTRY.values():
        open_tab(page, app_url, task.name)
        with gr.Blocks():
            texts = [w.elem_id for w in task.inputs().values() if isinstance(w, gr.Textbox) and w.value]
        for elem_id in texts:  # a text filled in as the tab opens: emptied
            page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill("")
        page.locator(f"#{task.name}-run").click()
        status = page.locator(f"#{task.name}-status")
        status.filter(has_text="⚠️").wait_for(timeout=20_000)
        page.wait_for_timeout(300)
        said = status.inner_text()
        assert len(said) > 20 and "failed" not in said, f"{task.name}: {said}"
        toasts = page.locator("[data-testid='toast-body']")
        assert page.get_by_text("Error", exact=True).count() == toasts.count(), f"{task.name}: an error badge is left"


def test_a_file_that_is_no_image_is_refused_as_it_is_added(page, app_url, tmp_path):
    """Every image input: a text file named .png is taken away again at once, with a sentence (no broken picture
    waits for Run); a real photo is taken."""
    import gradio as gr

    fake = tmp_path / "holiday.png"
    fake.write_text("this is not a picture")
    for task in REGISTRY.values():
        with gr.Blocks():
            images = [w.elem_id for w in task.inputs().values() if isinstance(w, gr.Image)]
        if not images:
            continue
        open_tab(page, app_url, task.name)
        for elem_id in images:
            page.locator(f"#{elem_id} input[data-testid='file-upload']").set_input_files(str(fake))
            toast = page.locator("[data-testid='toast-body']").filter(has_text="not an image this app can read")
            toast.first.wait_for()
            page.wait_for_function(f"!document.querySelector('#{elem_id} img')")
        page.locator(f"#{images[0]} input[data-testid='file-upload']").set_input_files(str(ASSETS / "chelsea.jpg"))
        page.locator(f"#{images[0]} img").first.wait_for()


def test_on_a_phone_the_picker_and_the_similarity_table_fit(browser, app_url):
    """390×844: the model's name is not squeezed under the picker's arrow (Copy link goes below it), and the
    similarity table of three sentences fits the screen without a sideways scroll."""
    needs("feature-extraction")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        open_tab(page, app_url, "feature-extraction")
        picker, link = (page.locator(f"#feature-extraction-{name}").bounding_box() for name in ("model", "link"))
        assert link["y"] >= picker["y"] + picker["height"] - 1, (picker, link)
        page.locator("#feature-extraction-sentences textarea").fill("a cat sits\nthe dog sleeps\nrockets fly to space")
        page.locator("#feature-extraction-run").click()
        assert "inference" in wait_status(page, "feature-extraction")
        widths = page.locator("#feature-extraction-similarity table").evaluate(
            "t => [t.scrollWidth, t.closest('.table-wrap').clientWidth]")
        assert widths[0] <= widths[1] + 2, widths
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
