"""The app's page, rendered once and sent compressed.

gradio renders the page (`GET /`) afresh for every visitor: it deep-copies the whole config of this 1,248-block app
and embeds it in 1.6 MB of HTML, ~0.1-0.3 s of CPU each time, and sends it uncompressed (gradio's Brotli middleware
only compresses paths ending in .html, .js, ...). A room opening a shared link at once queues behind those renders.

PageCache, an ASGI middleware handed to launch(app_kwargs={"middleware": ...}), keeps the rendered page per request
shape (path, query, and the headers gradio builds its links from) and sends it brotli- or gzip-compressed when the
browser accepts it (59 KB / 114 KB instead of 1.6 MB). Concurrent first requests wait for one render. Anything that
could differ per visitor is passed through untouched: apps with a login, gradio's `deep_link` pages, responses that
are not a plain 200 HTML page or that set a cookie.
"""

import asyncio
import gzip
from collections import OrderedDict

PAGES = ("/",)  # the app's pages (any query) unless told others; everything else goes straight to gradio
KEY_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-gradio-server")  # what gradio's links use
MAX_PAGES = 8  # distinct request shapes kept (a page is ~1.8 MB with its compressed forms)


class Page:
    def __init__(self, headers: list, body: bytes):
        self.headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"vary")]
        self.body = body
        self._encoded: dict[str, bytes] = {}

    def encoded(self, encoding: str) -> bytes:
        if encoding not in self._encoded:
            if encoding == "br":
                import brotli  # gradio's own dependency

                self._encoded[encoding] = brotli.compress(self.body, quality=4)
            elif encoding == "gzip":
                self._encoded[encoding] = gzip.compress(self.body, compresslevel=6, mtime=0)
            else:
                self._encoded[encoding] = self.body
        return self._encoded[encoding]


class PageCache:
    def __init__(self, app, max_pages: int = MAX_PAGES, pages=PAGES):
        self.app = app
        self.paths = frozenset(pages)
        self.max_pages = max_pages
        self.pages: OrderedDict = OrderedDict()
        self.rendering: dict = {}  # key -> Future of the Page being rendered
        self.renders = 0  # pages rendered by gradio (for tests and bench)

    async def __call__(self, scope, receive, send):
        key = self.key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        page = self.pages.get(key)
        if page is None:
            page = await self.render(key, scope, receive)
            if page is None:  # not cacheable: gradio answers this one itself
                return await self.app(scope, receive, send)
        self.pages.move_to_end(key)
        await self.answer(page, scope, send)

    def key(self, scope):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"] not in self.paths:
            return None
        if b"deep_link" in scope.get("query_string", b""):  # gradio's saved-state links are per visitor
            return None
        app = scope.get("app")
        if getattr(app, "auth", None) or getattr(app, "auth_dependency", None):  # a login: the page names the user
            return None
        headers = dict(scope.get("headers", ()))
        return (scope.get("scheme"), scope.get("root_path", ""), scope["path"], scope.get("query_string", b""),
                *(headers.get(name) for name in KEY_HEADERS))

    async def render(self, key, scope, receive):
        if key in self.rendering:  # someone is rendering this page now: wait for it
            try:
                return await asyncio.shield(self.rendering[key])
            except Exception:
                return None
        done = asyncio.get_running_loop().create_future()
        self.rendering[key] = done
        start, chunks = {}, []

        async def keep(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app({**scope, "method": "GET"}, receive, keep)
            headers = start.get("headers", [])
            names = {k.lower() for k, _ in headers}
            content_type = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
            page = None
            if start.get("status") == 200 and content_type.startswith(b"text/html") and b"set-cookie" not in names:
                page = Page(headers, b"".join(chunks))
                self.renders += 1
                self.pages[key] = page
                while len(self.pages) > self.max_pages:
                    self.pages.popitem(last=False)
            done.set_result(page)
            return page
        except BaseException as error:
            done.set_exception(error)
            done.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self.rendering[key]

    @staticmethod
    async def answer(page: Page, scope, send):
        accepted = dict(scope.get("headers", ())).get(b"accept-encoding", b"").decode("latin-1")
        encoding = next((e for e in ("br", "gzip") if e in accepted), None)
        body = page.encoded(encoding) if encoding else page.body
        headers = [*page.headers, (b"content-length", str(len(body)).encode()), (b"vary", b"Accept-Encoding")]
        if encoding:
            headers.append((b"content-encoding", encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
