"""A front app whose models run on another server (the session's app, in endpoint mode), in a real browser: the
picker and status line say where a model runs, the chat streams from the remote engine and Stop ends its
generation there. The README's screenshot of a remote model is taken here."""

import dataclasses
import time
from pathlib import Path

import pytest

from runtime.config import ModelChoice
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_browser import generating, long_generation, open_tab


@pytest.fixture(scope="module")
def front_url(config, served, tiny):
    """A second app, served on its own port, whose chat and text classification models are the session app's."""
    from app import build_demo, web_app_parts
    from web.gradio_patches.queue import polite_queue
    from web.server import serve

    def remote(task: str) -> ModelChoice:
        name = Path(tiny(task)).name
        return ModelChoice(name, label=f"{name} on the GPU box", endpoint=f"{served[1].rstrip('/')}/models/{name}")

    models = {**config.models, "text-generation": (remote("text-generation"),),
              "text-classification": (remote("text-classification"), *config.models["text-classification"])}
    demo = build_demo(dataclasses.replace(config, models=models))
    try:
        _, url, _ = serve(polite_queue(demo, None), block=False, server_name="127.0.0.1", ssr_mode=False, quiet=True,
                          app_kwargs=web_app_parts(demo))
        yield url.rstrip("/")
    finally:
        demo.close()


def test_a_remote_model_says_where_it_runs(page, front_url, served):
    open_tab(page, front_url, "text-classification")
    host = served[1].split("//")[1].rstrip("/")
    picker = page.locator("#text-classification-model input")
    assert f"(remote · {host})" in picker.input_value()
    assert f"served by {host}" in page.locator("#text-classification-model-info").inner_text()
    page.locator("#text-classification-text textarea").fill("What a wonderful afternoon this was!")
    page.locator("#text-classification-run").click()
    status = page.locator("#text-classification-status")
    status.filter(has_text="round trip").wait_for()
    assert f"remote · {host}" in status.inner_text()
    assert page.locator("#text-classification-labels").inner_text().strip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "remote.png"), full_page=True)


def test_a_remote_chat_streams_and_stop_ends_the_generation_on_its_server(page, front_url, served):
    open_tab(page, front_url, "text-generation")
    long_generation(page, "text-generation", tokens=1024)
    page.locator("#text-generation-message textarea").fill("Tell me a long story")
    page.locator("#text-generation-run").click()
    deadline = time.monotonic() + 60
    while not generating() and time.monotonic() < deadline:  # the session app (the remote server) generates
        time.sleep(0.05)
    assert generating(), "the remote server never began generating"
    time.sleep(0.5)
    page.locator("#text-generation-stop").click()
    status = page.locator("#text-generation-status")
    status.filter(has_text="stopped").wait_for(timeout=10_000)
    deadline = time.monotonic() + 10
    while generating() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not generating(), "the remote server kept generating after Stop"
    assert "remote ·" in status.inner_text() and "Error" not in status.inner_text()
    assert page.locator("#text-generation-chat [data-testid='bot']").count() == 1
