"""Pipeline Playground: try Hugging Face transformers pipelines in the browser, one tab per task."""

import argparse
import dataclasses
import gc
import logging
import os

if __name__ == "__main__":  # a server's start-up: no garbage collection passes over what it builds to keep
    gc.disable()  # (on again, the start-up's objects frozen, once the server is up: web/server.py settle())

import gradio as gr
from starlette.middleware import Middleware

from runtime import zerogpu
from runtime.batching import Batcher, BatchSettings
from runtime.config import Config
from runtime.devices import DeviceManager
from runtime.models import ModelCache, limit_malloc_arenas
from tasks import REGISTRY
from web import deep_link, gradio_patches
from web.api import LeanAPI
from web.gradio_patches.queue import polite_queue
from web.gradio_patches.refusals import plain_refusals
from web.gradio_patches.startup import deferred_render
from web.page_cache import PageCache
from web.panels import PANELS
from web.server import collecting, serve
from web.tab import RUN_KEY_JS, build_tab

INTRO = (
    "# Pipeline Playground\n"
    "Try Hugging Face transformers pipelines on text, images and audio: pick a tab, an example or your own input, "
    "and press **Run**. Every tab is also an API endpoint (see *Use via API* at the bottom)."
)


MONITORING_EVERY = 100  # events between two refreshes of gradio's monitoring summary (see build_demo)
ZEROGPU_NO_LEAN_API = ("This Space runs on ZeroGPU, which gives GPU time per visitor through Gradio's queue: "
                      "use /gradio_api/call/<task> instead of /api/<task>.")


def build_demo(
    config: Config | None = None, models: ModelCache | None = None, batcher: Batcher | None = None
) -> gr.Blocks:
    """The whole UI: a page per modality (the first is the landing page), on it a tab per task, all sharing one model
    cache and one batcher. `demo.page_paths` maps a task to its page's path."""
    config = config or Config.load(os.environ.get("PLAYGROUND_CONFIG"))
    models = models or ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    batcher = batcher or Batcher(BatchSettings(config.batch_size, config.batch_wait_ms))
    config.check_remote(REGISTRY)  # a remote model for a local-only task is refused at start-up, in a sentence
    gradio_patches.apply()  # the module-wide adjustments of gradio, each checked against its shape (web/gradio_patches)
    groups = {modality: tasks for modality, tasks in REGISTRY.by_modality().items() if tasks}
    paths = {modality: "" if index == 0 else modality.lower() for index, modality in enumerate(groups)}  # "": landing
    tabs, gates, api = {}, {}, LeanAPI(off=ZEROGPU_NO_LEAN_API if zerogpu.enabled() else None)
    # gradio's telemetry (a thread calling home at start and launch) only when the host asks for it
    analytics = os.environ.get("GRADIO_ANALYTICS_ENABLED", "").lower() == "true"
    # gradio's queue rebuilds its monitoring summary (a pandas table of up to 10,000 past events) after every event
    # unless told how often: 2.6-12 ms of CPU per request, a quarter of a busy server's. Every 100 events is plenty
    # for a dashboard; a host's own setting wins. Read as Blocks() makes its queue.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(MONITORING_EVERY))
    with deferred_render():  # a page per modality: a visitor's browser gets that page's part of the config only
        demo = gr.Blocks(title="Pipeline Playground", analytics_enabled=analytics)
        for modality, tasks in groups.items():
            with demo.route(modality, paths[modality]) if paths[modality] else demo:  # the first: the landing page
                gr.Navbar(main_page_name=next(iter(groups)), elem_id=f"nav-{modality.lower()}")
                gr.Markdown(INTRO)
                with gr.Tabs(elem_id=f"tasks-{modality.lower()}") as task_tabs:
                    for task in tasks:
                        with gr.Tab(task.title, id=task.name, elem_id=f"tab-{task.name}"):
                            tab = build_tab(task, config, models, batcher, gates)
                            for panel in PANELS:
                                panel.attach(tab)
                            tab.wire(api)
                            tabs[task.name] = tab
                deep_link.attach(demo, REGISTRY, config.choices, task_tabs,
                                 {task.name: tabs[task.name].model for task in tasks})
                demo.load(None, js=RUN_KEY_JS)
    demo.page_paths = {task.name: paths[task.modality] for tasks in groups.values() for task in tasks}
    demo.tabs = tabs  # task name -> its built Tab (web/tab.py): widgets and names, for tests and tools
    demo.lean_api = api  # POST /api/<task>, served through launch(app_kwargs=web_app_parts(demo)), web/api.py
    return plain_refusals(demo)  # gradio's own refusals of a request said as sentences (web/gradio_patches)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="address to serve on")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    p.add_argument("--config", default=os.environ.get("PLAYGROUND_CONFIG"), help="JSON config file (see README)")
    p.add_argument("--preload", action="append", help="task=model (or task, or all) to load at start-up")
    p.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), help="default: auto (cuda, mps, cpu)")
    p.add_argument("--dtype", choices=("auto", "float32", "float16", "bfloat16"), help="default: auto")
    p.add_argument("--cpu-speedup", choices=("none", "bf16", "int8"),
                   help="on CPU: bf16 where the CPU has it natively, or dynamic int8 Linear layers (default: none)")
    p.add_argument("--memory-budget", help="weights kept loaded at most, e.g. 8GB; least recently used go first")
    p.add_argument("--allow-any-model", action="store_true", default=None, help="visitors may type any Hub id")
    p.add_argument("--allow-local-paths", action="store_true", default=None, help="...and any folder on this server")
    p.add_argument("--batch-size", type=int, help="most concurrent requests merged into one pipeline call; 1: off")
    p.add_argument("--batch-wait-ms", type=float, help="longest wait for a crowd to come back and batch (default 50)")
    p.add_argument("--concurrency", type=int, help="unbatched model calls running at once, all tasks together")
    p.add_argument("--max-file-size", default="50mb", help="largest upload accepted")
    p.add_argument("--queue-size", type=int, default=int(os.environ.get("PLAYGROUND_QUEUE_SIZE", 64)),
                   help="requests waiting at most; more are told the server is busy (0: no limit)")
    p.add_argument("--serve-inference-api", action="store_true",
                   default=os.environ.get("PLAYGROUND_SERVE_INFERENCE_API", "").lower() in ("1", "true", "yes"),
                   help="also answer the Hugging Face Inference API protocol at /models/<model> (endpoint mode)")
    p.add_argument("--build-tiny-models", metavar="DIR", help="write tiny random models + DIR/playground.json; exit")
    return p.parse_args(argv)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # huggingface_hub's client: a line per remote model call
    args = parse_args(argv)
    if args.build_tiny_models:
        gc.enable()  # building models is no server start-up
        from runtime.tiny import build_all
        from tests.tiny_models import tiny_models  # the test suite's tiny models (needs requirements-dev.txt)

        path = build_all(args.build_tiny_models, tiny_models(REGISTRY))
        print(f"Wrote {path}. Serve it with: python app.py --config {path}")
        return
    limit_malloc_arenas()  # before any model or worker thread: far less memory growth under load (runtime/models.py)
    config = Config.load(
        args.config, device=args.device, dtype=args.dtype, memory_budget=args.memory_budget, preload=args.preload,
        cpu_speedup=args.cpu_speedup,
        allow_any_model=args.allow_any_model, allow_local_paths=args.allow_local_paths,
        batch_size=args.batch_size, batch_wait_ms=args.batch_wait_ms, concurrency=args.concurrency,
    )
    zerogpu.setup()
    if zerogpu.enabled() and not config.preload:  # ZeroGPU wants models on the GPU before the first call
        config = dataclasses.replace(config, preload=("all",))
    models = ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    with collecting():  # models load with the garbage collector on (web/server.py)
        for task, choice in config.preload_list(REGISTRY):
            models.get(task, choice)
    demo = build_demo(config, models)
    serve(  # demo.launch(...), with gradio's config rendered once (web/server.py)
        polite_queue(demo, args.queue_size or None),
        server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size,
        max_threads=max(40, 4 * config.batch_size + config.concurrency),  # two batched tasks filling at once
        app_kwargs=web_app_parts(demo, args.queue_size or None, args.serve_inference_api),
    )


def web_app_parts(demo: gr.Blocks, queue_size: int | None = None, inference_api: bool = False) -> dict:
    """What this app adds to gradio's web app, for launch(app_kwargs=...): the lean JSON API (POST /api/<task>,
    web/api.py), the page rendered once and sent compressed (web/page_cache.py) and, in endpoint mode, the Inference
    API protocol (POST /models/<model>, web/endpoint.py)."""
    routes = [demo.lean_api.route(queue_size)]
    if inference_api:
        from web.endpoint import InferenceAPI

        routes.append(InferenceAPI(demo.tabs).route(queue_size))
    pages = demo.page_paths  # task name -> the path of its page
    return {"routes": routes, "middleware": [Middleware(deep_link.PageRedirect, tasks=REGISTRY, pages=pages),
                                             Middleware(PageCache, pages={f"/{path}" for path in pages.values()})]}


def __getattr__(name):
    if name == "demo":  # `import app; app.demo` (the Spaces convention) builds the UI from env config on first use
        globals()["demo"] = build_demo()
        return globals()["demo"]
    raise AttributeError(name)


if __name__ == "__main__":
    main()
