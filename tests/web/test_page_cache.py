"""The page rendered once per request shape and sent compressed (web/page_cache.py)."""

import gzip
import threading
import urllib.request

import brotli
import gradio as gr
import gradio.route_utils
import pytest
from starlette.middleware import Middleware

from web.page_cache import PageCache


def small_demo() -> gr.Blocks:
    with gr.Blocks(title="Small") as demo:
        text = gr.Textbox(label="Text", value="hello")
        gr.Button("Run").click(lambda t: t, text, gr.Textbox(), api_name="echo")
    return demo


@pytest.fixture
def renders(monkeypatch) -> list:
    """gradio's renders of the page from here on (it roots every rendered config once)."""
    seen, root = [], gradio.route_utils.update_root_in_config

    def counted(config, root_url):
        seen.append(root_url)
        return root(config, root_url)

    monkeypatch.setattr(gradio.route_utils, "update_root_in_config", counted)
    return seen


def launched(demo, **kwargs) -> str:
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, ssr_mode=False,
                            app_kwargs={"middleware": [Middleware(PageCache)]}, **kwargs)
    return url


def get(url, method="GET", **headers):
    with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers)) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


@pytest.fixture
def url():
    demo = small_demo()
    try:
        yield launched(demo)
    finally:
        demo.close()


def test_the_page_is_rendered_once_and_is_gradios_own_page(renders, url):
    status, headers, first = get(url)
    assert status == 200 and headers["content-type"].startswith("text/html") and b"Small" in first
    assert get(url)[2] == first and len(renders) == 1
    _, _, gradios = get(url + "?deep_link=")  # passed through: gradio renders it, and it is the same page
    assert gradios == first and len(renders) == 2
    assert int(headers["content-length"]) == len(first) and headers["vary"] == "Accept-Encoding"


def test_the_page_is_sent_compressed_to_browsers_that_accept_it(url):
    plain = get(url)[2]
    _, headers, br = get(url, **{"Accept-Encoding": "gzip, deflate, br, zstd"})  # what Chromium sends
    assert headers["content-encoding"] == "br" and brotli.decompress(br) == plain and len(br) < len(plain) / 2
    _, headers, gz = get(url, **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(gz) == plain
    assert "content-encoding" not in get(url, **{"Accept-Encoding": "identity"})[1]


def test_a_room_opening_the_link_at_once_waits_for_one_render(renders, url):
    pages, errors = [], []

    def visit():
        try:
            pages.append(get(url)[2])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    visitors = [threading.Thread(target=visit) for _ in range(8)]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join(30)
    assert not errors and len(pages) == 8 and len(set(pages)) == 1
    assert len(renders) == 1


def test_each_public_address_gets_its_own_links(renders, url):
    _, _, local = get(url)
    _, _, proxied = get(url, **{"X-Forwarded-Host": "demo.example.org", "X-Forwarded-Proto": "https"})
    assert b"https://demo.example.org" in proxied and b"https://demo.example.org" not in local
    assert get(url, **{"X-Forwarded-Host": "demo.example.org", "X-Forwarded-Proto": "https"})[2] == proxied
    assert len(renders) == 2


def test_head_answers_the_headers_of_the_cached_page(renders, url):
    status, headers, body = get(url, method="HEAD")
    assert status == 200 and body == b""
    _, get_headers, page = get(url)
    assert int(headers["content-length"]) == len(page) == int(get_headers["content-length"])
    assert len(renders) == 1  # HEAD (gradio's own start-up check asks it) rendered the page GET then used


def cache_of(demo) -> PageCache:
    layer = demo.app.middleware_stack
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def test_an_app_with_a_login_is_never_cached():
    demo = small_demo()
    try:
        url = launched(demo, auth=("presenter", "secret"))
        first = get(url)[2]
        assert b"auth_required" in first and get(url)[2] == first  # gradio's login page, answered by gradio
        assert cache_of(demo).renders == 0 and not cache_of(demo).pages
    finally:
        demo.close()


def test_the_playground_page_is_cached_and_compressed(served):
    demo, url = served
    plain = get(url)[2]
    assert cache_of(demo).pages
    _, headers, br = get(url, **{"Accept-Encoding": "br"})
    assert headers["content-encoding"] == "br" and brotli.decompress(br) == plain
    assert len(br) < len(plain) / 10  # 1.6 MB of HTML and config, ~60 KB sent
