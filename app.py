"""Pipeline Playground: try Hugging Face transformers pipelines in the browser, one tab per task."""

import argparse
import inspect
import logging
import os

import gradio as gr

from runtime.batching import Batcher, BatchSettings
from runtime.config import Config
from runtime.devices import DeviceManager
from runtime.models import ModelCache
from runtime.serve import make_handler, plain_input_errors, polite_when_full
from runtime.spec import Task
from tasks import REGISTRY

INTRO = (
    "# Pipeline Playground\n"
    "Try Hugging Face transformers pipelines on text, images and audio: pick a tab, an example or your own input, "
    "and press **Run**. Every tab is also an API endpoint (see *Use via API* at the bottom)."
)


def build_demo(
    config: Config | None = None, models: ModelCache | None = None, batcher: Batcher | None = None
) -> gr.Blocks:
    """The whole UI: a tab per modality, in it a tab per task, all sharing one model cache and one batcher."""
    config = config or Config.load(os.environ.get("PLAYGROUND_CONFIG"))
    models = models or ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    batcher = batcher or Batcher(BatchSettings(config.batch_size, config.batch_wait_ms))
    with gr.Blocks(title="Pipeline Playground") as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            for modality, tasks in REGISTRY.by_modality().items():
                with gr.Tab(modality, id=modality.lower()):
                    with gr.Tabs():
                        for task in tasks:
                            with gr.Tab(task.title, id=task.name):
                                build_tab(task, config, models, batcher)
    return demo


def build_tab(task: Task, config: Config, models: ModelCache, batcher: Batcher) -> None:
    choices = config.choices(task)
    if task.description:
        gr.Markdown(task.description)
    with gr.Row():
        with gr.Column():
            model = gr.Dropdown(
                choices=[(c.display, c.id) for c in choices], value=choices[0].id, label="Model",
                allow_custom_value=config.allow_any_model, elem_id=f"{task.name}-model",
                info="Type any Hub id" if config.allow_any_model else None,
            )
            inputs = list(task.inputs())
            plain_input_errors(inputs)
            with gr.Accordion("Parameters", open=False) as accordion:
                params = list(task.params())
            accordion.visible = bool(params)
            run = gr.Button("Run", variant="primary", elem_id=f"{task.name}-run")
            stop = gr.Button("Stop", variant="stop", elem_id=f"{task.name}-stop") if task.streams else None
        with gr.Column():
            outputs = list(task.outputs(*inputs) if inspect.signature(task.outputs).parameters else task.outputs())
            status = gr.Markdown(elem_id=f"{task.name}-status")
            with gr.Accordion("Raw JSON", open=False):
                raw = gr.JSON(label="Pipeline output", elem_id=f"{task.name}-json")
    if task.examples:
        gr.Examples([list(row) for row in task.examples], inputs=inputs, label="Examples")
    fed_back = outputs if task.outputs_as_inputs else []
    event = run.click(
        make_handler(task, config, models, batcher), [model, *inputs, *params, *fed_back], [*outputs, raw, status],
        api_name=task.api_name, **queue_settings(task, config, batcher),
    )
    if stop:  # Stop cancels the event; gradio then closes the handler's generator, which ends generation
        stop.click(None, None, None, cancels=[event], api_visibility="private")


def queue_settings(task: Task, config: Config, batcher: Batcher) -> dict:
    """Batched tasks let enough requests in to fill a batch while one runs; the others share one limit."""
    if batcher.merges(task):
        return {"concurrency_limit": 2 * config.batch_size, "concurrency_id": f"{task.name}-batched"}
    return {"concurrency_limit": config.concurrency, "concurrency_id": "model"}  # one cap on unbatched model work


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
    p.add_argument("--batch-wait-ms", type=float, help="how long a request waits for others to batch with")
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
        from runtime.tiny import build_all

        path = build_all(args.build_tiny_models, REGISTRY)
        print(f"Wrote {path}. Serve it with: python app.py --config {path}")
        return
    config = Config.load(
        args.config, device=args.device, dtype=args.dtype, memory_budget=args.memory_budget, preload=args.preload,
        allow_any_model=args.allow_any_model, allow_local_paths=args.allow_local_paths,
        batch_size=args.batch_size, batch_wait_ms=args.batch_wait_ms, concurrency=args.concurrency,
    )
    models = ModelCache(DeviceManager(config.device, config.dtype), config.memory_budget)
    for task, choice in config.preload_list(REGISTRY):
        models.get(task, choice)
    demo = build_demo(config, models)
    polite_when_full(demo.queue(max_size=args.queue_size or None)).launch(  # queue() once: it rebuilds the app
        server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size,
        max_threads=max(40, 4 * config.batch_size + config.concurrency),  # two batched tasks filling at once
    )


def __getattr__(name):
    if name == "demo":  # `import app; app.demo` (the Spaces convention) builds the UI from env config on first use
        globals()["demo"] = build_demo()
        return globals()["demo"]
    raise AttributeError(name)


if __name__ == "__main__":
    main()
