"""Pipeline Playground: try Hugging Face transformers pipelines in the browser, one tab per task."""

import argparse
import dataclasses
import gc
import logging
import os

if __name__ == "__main__":  # a server's start-up: no garbage collection passes over what it builds to keep
    gc.disable()  # (on again, the start-up's objects frozen, once the server is up: runtime/startup.py settle())

import gradio as gr
from starlette.middleware import Middleware

from runtime import extras, zerogpu
from runtime.api import LeanAPI
from runtime.batching import Batcher, BatchSettings
from runtime.config import Config
from runtime.errors import UserError
from runtime.devices import DeviceManager
from runtime.media import trust_example_assets
from runtime.models import ModelCache, limit_malloc_arenas
from runtime.page_cache import PageCache
from runtime.serve import make_handler, plain_input_errors, polite_queue
from runtime.sessions import lean_sessions
from runtime.spec import Task
from runtime.startup import collecting, deferred_render, schemas_once, serve, signatures_once
from tasks import REGISTRY

INTRO = (
    "# Pipeline Playground\n"
    "Try Hugging Face transformers pipelines on text, images and audio: pick a tab, an example or your own input, "
    "and press **Run**. Every tab is also an API endpoint (see *Use via API* at the bottom)."
)


SHORTCUTS_JS = """() => {
  // Ctrl+Enter (Cmd+Enter on a Mac) runs the tab the cursor is in
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const tab = event.target.closest && event.target.closest('[id^="tab-"]:not([id$="-button"])');
    const run = tab && document.getElementById(tab.id.slice(4) + "-run");
    if (run) { event.preventDefault(); run.click(); }
  });
}"""


def copy_link_js(task: Task) -> str:
    """Puts this tab's deep link (current model included) in the address bar and on the clipboard."""
    return f"""(model) => {{
  const url = new URL(window.location.href);
  url.search = "";
  url.searchParams.set("task", {task.name!r});
  if (model) url.searchParams.set("model", model);
  window.history.replaceState(null, "", url);
  if (navigator.clipboard) navigator.clipboard.writeText(url.toString()).catch(() => {{}});
  return [];
}}"""


ZEROGPU_NO_LEAN_API = ("This Space runs on ZeroGPU, which gives GPU time per visitor through Gradio's queue: "
                      "use /gradio_api/call/<task> instead of /api/<task>.")


def build_demo(
    config: Config | None = None, models: ModelCache | None = None, batcher: Batcher | None = None
) -> gr.Blocks:
    """The whole UI: a tab per modality, in it a tab per task, all sharing one model cache and one batcher."""
    config = config or Config.load(os.environ.get("PLAYGROUND_CONFIG"))
    models = models or ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    batcher = batcher or Batcher(BatchSettings(config.batch_size, config.batch_wait_ms))
    lean_sessions()  # API calls without a session no longer render every block's config (runtime/sessions.py)
    trust_example_assets()  # no ffprobe of our own example files at every start (runtime/media.py)
    schemas_once()  # one JSON schema per data model, not per component (runtime/startup.py)
    signatures_once()  # each component's __init__ signature read once, not per block and render (runtime/startup.py)
    groups = REGISTRY.by_modality()
    pickers, task_tabs, api = {}, {}, LeanAPI(off=ZEROGPU_NO_LEAN_API if zerogpu.enabled() else None)
    # gradio's telemetry (a thread calling home at start and launch) only when the host asks for it
    analytics = os.environ.get("GRADIO_ANALYTICS_ENABLED", "").lower() == "true"
    with deferred_render(), gr.Blocks(title="Pipeline Playground", analytics_enabled=analytics) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs(elem_id="modalities") as modality_tabs:
            for modality, tasks in groups.items():
                with gr.Tab(modality, id=modality.lower(), elem_id=f"tab-modality-{modality.lower()}"):
                    with gr.Tabs() as task_tabs[modality]:
                        for task in tasks:
                            with gr.Tab(task.title, id=task.name, elem_id=f"tab-{task.name}"):
                                pickers[task.name] = build_tab(task, config, models, batcher, api)

        def open_deep_link(request: gr.Request):
            """`/?task=<name>&model=<id>` opens that tab with that model."""
            found = extras.deep_link(REGISTRY, list(groups), dict(request.query_params or {}), config.choices)
            if found.get("warning"):
                gr.Warning(found["warning"])
            modality = found.get("modality")
            return (
                gr.Tabs(selected=modality) if modality else gr.update(),
                *[gr.Tabs(selected=found["task"]) if m.lower() == modality else gr.update() for m in groups],
                *[gr.Dropdown(value=found["model"]) if name == found.get("task") and "model" in found
                  else gr.update() for name in pickers],
            )

        demo.load(open_deep_link, None, [modality_tabs, *task_tabs.values(), *pickers.values()],
                  api_visibility="private")
        demo.load(None, js=SHORTCUTS_JS)
    demo.lean_api = api  # POST /api/<task>, served through launch(app_kwargs=web_app_parts(demo)), runtime/api.py
    return demo


def build_tab(
    task: Task, config: Config, models: ModelCache, batcher: Batcher, api: LeanAPI | None = None
) -> gr.Dropdown:
    """One task's tab: picker, inputs, parameters, Run, outputs; then code, compare and batch. Returns the picker."""
    choices = config.choices(task)
    picker_choices = [(c.display, c.id) for c in choices]
    if task.description:
        gr.Markdown(task.description)
    with gr.Row():
        with gr.Column():
            with gr.Row():
                model = gr.Dropdown(
                    choices=picker_choices, value=choices[0].id, label="Model", scale=5,
                    allow_custom_value=config.allow_any_model, elem_id=f"{task.name}-model",
                    info="Type any Hub id" if config.allow_any_model else None,
                )
                link = gr.Button("Copy link", size="sm", scale=1, min_width=90, elem_id=f"{task.name}-link")
            info = gr.Markdown(describe_model(config, task, choices[0].id), elem_id=f"{task.name}-model-info")
            inputs = list(task.inputs())
            plain_input_errors(inputs)
            with gr.Accordion("Parameters", open=False, elem_id=f"{task.name}-params") as accordion:
                params = list(task.params())
            plain_input_errors(params)  # a value that is not one of a Radio's or Dropdown's choices, said plainly
            accordion.visible = bool(params)
            run = gr.Button("Run  (Ctrl+Enter)", variant="primary", elem_id=f"{task.name}-run")
            stop = gr.Button("Stop", variant="stop", elem_id=f"{task.name}-stop") if task.streams else None
        with gr.Column():
            outputs = build_outputs(task, inputs)
            status = gr.Markdown(elem_id=f"{task.name}-status")
            with gr.Accordion("Raw JSON", open=False):
                raw = gr.JSON(label="Pipeline output", elem_id=f"{task.name}-json")
    if task.examples:
        gr.Examples([list(row) for row in task.examples], inputs=inputs, label="Examples")
    with gr.Accordion("Reproduce in code", open=False, elem_id=f"{task.name}-code-panel"):
        code = gr.Code(
            "# Run the tab: the transformers code for that run shows here.", language="python",
            buttons=["copy"], interactive=False, elem_id=f"{task.name}-code",
        )

    handler = make_handler(task, config, models, batcher)
    on_gpu = dict(concurrency_id=zerogpu.concurrency_id())  # ZeroGPU: all GPU work shares one queue
    fed_back = outputs if task.outputs_as_inputs else []  # e.g. the chat so far
    settings = queue_settings(task, config, batcher)
    event = run.click(
        zerogpu.gpu(handler), [model, *inputs, *params, *fed_back], [*outputs, raw, status], api_name=task.api_name,
        **settings,
    )
    if api is not None:  # the lean JSON route (runtime/api.py)
        api.add(task.api_name, zerogpu.gpu(handler), [model, *inputs, *params, *fed_back], task.streams,
                settings["concurrency_id"], settings["concurrency_limit"])
    if stop:  # Stop cancels the event; gradio then closes the handler's generator, which ends generation
        stop.click(None, None, None, cancels=[event], api_visibility="private")
    event.success(make_code(task, config, models), [model, *inputs, *params], code, api_visibility="private")
    model.change(lambda m: describe_model(config, task, m), model, info, api_visibility="private")
    link.click(None, [model], None, js=copy_link_js(task))

    with gr.Accordion("Compare two models", open=False, elem_id=f"{task.name}-compare-panel"):
        other = choices[1].id if len(choices) > 1 else choices[0].id
        with gr.Row():
            model_b = gr.Dropdown(
                choices=picker_choices, value=other, label="Compare with", scale=5,
                allow_custom_value=config.allow_any_model, elem_id=f"{task.name}-compare-model",
            )
            compare = gr.Button("Compare", size="sm", scale=1, min_width=90, elem_id=f"{task.name}-compare")
        sides = []
        with gr.Row():
            for side in ("a", "b"):
                with gr.Column():
                    built = [*build_outputs(task, inputs), gr.JSON(label="Pipeline output", visible=False), gr.Markdown()]
                    for i, component in enumerate(built):  # the builder's elem_ids are the main outputs'
                        component.elem_id = f"{task.name}-compare-{side}-{i}"
                    sides += built
    compare.click(
        zerogpu.gpu(extras.make_compare(handler, len(outputs) + 2)), [model, model_b, *inputs, *params], sides,
        api_name=f"{task.api_name}_compare", api_visibility="undocumented", **on_gpu,
    )

    kind = extras.batch_kind(inputs)
    if kind:
        with gr.Accordion(f"Batch: many {'texts' if kind == 'text' else 'images'} at once", open=False,
                          elem_id=f"{task.name}-batch-panel"):
            files = gr.File(
                label="A .txt (one text a line) or .csv (a 'text' column)" if kind == "text" else "Images",
                file_count="multiple", file_types=[".txt", ".csv"] if kind == "text" else ["image"],
                elem_id=f"{task.name}-batch-files",
            )
            batch = gr.Button("Run batch", elem_id=f"{task.name}-batch-run")
            table = gr.Dataframe(label="Results", interactive=False, elem_id=f"{task.name}-batch-table")
            download = gr.File(label="Results as CSV", elem_id=f"{task.name}-batch-csv")
        batch.click(
            zerogpu.gpu(extras.make_batch(handler, kind)), [model, files, *params], [table, download],
            api_name=f"{task.api_name}_batch", api_visibility="undocumented", **on_gpu,
        )
    return model


def queue_settings(task: Task, config: Config, batcher: Batcher) -> dict:
    """Batched tasks let enough requests in to fill a batch while one runs; the others share one limit.
    On ZeroGPU all GPU work shares one queue instead."""
    if batcher.merges(task):
        settings = {"concurrency_limit": 2 * config.batch_size, "concurrency_id": f"{task.name}-batched"}
    else:
        settings = {"concurrency_limit": config.concurrency, "concurrency_id": "model"}  # one cap on unbatched work
    if zerogpu.enabled():
        settings["concurrency_id"] = zerogpu.concurrency_id()
    return settings


def build_outputs(task: Task, inputs: list) -> list:
    """The task's output widgets; a builder that takes parameters gets the input widgets (as on main)."""
    import inspect

    return list(task.outputs(*inputs) if inspect.signature(task.outputs).parameters else task.outputs())


def describe_model(config: Config, task: Task, model_id: str) -> str:
    """The line next to the picker: size, architecture, licence (from disk or the Hub cache only)."""
    from runtime.model_info import model_info

    try:
        return model_info(config.resolve(task, model_id)).markdown()
    except UserError as error:
        return f"⚠️ {error}"


def make_code(task: Task, config: Config, models: ModelCache):
    """The 'Reproduce in code' text for the current model, inputs, parameters and device."""
    import inspect

    from runtime.snippets import SnippetContext, files_of, snippet

    wants_limits = "limits" in inspect.signature(task.prepare).parameters

    def code(model_id, *values):
        try:
            choice = config.resolve(task, model_id)
            call = task.prepare(*values, limits=config.limits) if wants_limits else task.prepare(*values)
        except UserError:
            return gr.update()  # the run already said what is wrong
        placement = models.devices.placement(choice.device_map)
        return snippet(SnippetContext(
            task, choice.id, placement.pipeline_kwargs(), call, files_of(values), choice.revision,
            choice.trust_remote_code,
        ))

    return code


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="address to serve on")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    p.add_argument("--config", default=os.environ.get("PLAYGROUND_CONFIG"), help="JSON config file (see README)")
    p.add_argument("--preload", action="append", help="task=model (or task, or all) to load at start-up")
    p.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), help="default: auto (cuda, mps, cpu)")
    p.add_argument("--dtype", choices=("auto", "float32", "float16", "bfloat16"), help="default: auto")
    p.add_argument("--memory-budget", help="weights kept loaded at most, e.g. 8GB; least recently used go first")
    p.add_argument("--allow-any-model", action="store_true", default=None, help="visitors may type any Hub id")
    p.add_argument("--allow-local-paths", action="store_true", default=None, help="...and any folder on this server")
    p.add_argument("--batch-size", type=int, help="most concurrent requests merged into one pipeline call; 1: off")
    p.add_argument("--batch-wait-ms", type=float, help="longest wait for a crowd to come back and batch (default 50)")
    p.add_argument("--concurrency", type=int, help="unbatched model calls running at once, all tasks together")
    p.add_argument("--max-file-size", default="50mb", help="largest upload accepted")
    p.add_argument("--queue-size", type=int, default=int(os.environ.get("PLAYGROUND_QUEUE_SIZE", 64)),
                   help="requests waiting at most; more are told the server is busy (0: no limit)")
    p.add_argument("--build-tiny-models", metavar="DIR", help="write tiny random models + DIR/playground.json; exit")
    return p.parse_args(argv)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    if args.build_tiny_models:
        gc.enable()  # building models is no server start-up
        from runtime.tiny import build_all

        path = build_all(args.build_tiny_models, REGISTRY)
        print(f"Wrote {path}. Serve it with: python app.py --config {path}")
        return
    limit_malloc_arenas()  # before any model or worker thread: far less memory growth under load (runtime/models.py)
    config = Config.load(
        args.config, device=args.device, dtype=args.dtype, memory_budget=args.memory_budget, preload=args.preload,
        allow_any_model=args.allow_any_model, allow_local_paths=args.allow_local_paths,
        batch_size=args.batch_size, batch_wait_ms=args.batch_wait_ms, concurrency=args.concurrency,
    )
    zerogpu.setup()
    if zerogpu.enabled() and not config.preload:  # ZeroGPU wants models on the GPU before the first call
        config = dataclasses.replace(config, preload=("all",))
    models = ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    with collecting():  # models load with the garbage collector on (runtime/startup.py)
        for task, choice in config.preload_list(REGISTRY):
            models.get(task, choice)
    demo = build_demo(config, models)
    serve(  # demo.launch(...), with gradio's config rendered once (runtime/startup.py)
        polite_queue(demo, args.queue_size or None),
        server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size,
        max_threads=max(40, 4 * config.batch_size + config.concurrency),  # two batched tasks filling at once
        app_kwargs=web_app_parts(demo, args.queue_size or None),
    )


def web_app_parts(demo: gr.Blocks, queue_size: int | None = None) -> dict:
    """What this app adds to gradio's web app, for launch(app_kwargs=...): the lean JSON API (POST /api/<task>,
    runtime/api.py) and the page rendered once and sent compressed (runtime/page_cache.py)."""
    return {"routes": [demo.lean_api.route(queue_size)], "middleware": [Middleware(PageCache)]}


def __getattr__(name):
    if name == "demo":  # `import app; app.demo` (the Spaces convention) builds the UI from env config on first use
        globals()["demo"] = build_demo()
        return globals()["demo"]
    raise AttributeError(name)


if __name__ == "__main__":
    main()
