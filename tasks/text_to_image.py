"""Text to image: a prompt in, a picture out, through a diffusers pipeline with a progress bar per denoising step."""

from pathlib import Path

from runtime.errors import ModelLoadError, UserError
from runtime.spec import Call, Task


def inputs():
    import gradio as gr

    return {
        "prompt": gr.Textbox(
            label="Prompt", lines=3, placeholder="A cat astronaut drinking coffee…", elem_id="text-to-image-prompt"
        ),
        "negative": gr.Textbox(
            label="Negative prompt (optional)", placeholder="blurry, low quality", elem_id="text-to-image-negative"
        ),
    }


def params():
    import gradio as gr

    return {
        "steps": gr.Slider(
            1, 50, value=4, step=1, label="Steps", info="sd-turbo: 1–4; Stable Diffusion 1.5: 20–30",
            elem_id="text-to-image-steps",
        ),
        "guidance": gr.Slider(
            0.0, 15.0, value=0.0, step=0.5, label="Guidance", info="sd-turbo: 0; others: about 7",
            elem_id="text-to-image-guidance",
        ),
        "seed": gr.Number(value=0, precision=0, label="Seed (-1: random)", elem_id="text-to-image-seed"),
        "width": gr.Slider(64, 1024, value=512, step=64, label="Width", elem_id="text-to-image-width"),
        "height": gr.Slider(64, 1024, value=512, step=64, label="Height", elem_id="text-to-image-height"),
    }


def outputs():
    import gradio as gr

    return {"image": gr.Image(label="Image", type="pil", format="png", elem_id="text-to-image-image")}


def prepare(prompt, negative="", steps=4, guidance=0.0, seed=0, width=512, height=512, limits=None):
    if not (prompt or "").strip():
        raise UserError("Describe the picture you want in the prompt.")
    if int(width) % 8 or int(height) % 8:
        raise UserError("Width and height must be multiples of 8 pixels.")
    seed = int(seed if seed is not None else 0)
    if seed < 0:
        import random

        seed = random.randrange(2**32)  # shown in the raw output, so a picture can be made again
    kwargs = {
        "negative_prompt": (negative or "").strip() or None, "num_inference_steps": int(steps),
        "guidance_scale": float(guidance), "width": int(width), "height": int(height), "seed": seed,
    }
    return Call(prompt.strip(), kwargs)


def load(task, choice, placement):
    import torch
    from diffusers import DiffusionPipeline

    from runtime.models import describe, model_source

    source = model_source(choice)
    if Path(source).is_dir() and not (Path(source) / "model_index.json").exists():
        raise ModelLoadError(f"'{choice.display}' is not a {task.title} model: it has no diffusers pipeline "
                             "(model_index.json). Pick a model made for Text to image.")
    try:
        pipe = DiffusionPipeline.from_pretrained(
            source, revision=choice.revision, dtype=getattr(torch, placement.dtype),
            trust_remote_code=choice.trust_remote_code,
        )
    except Exception as error:
        if "model_index.json" in str(error):  # a Hub repo of a transformers model, not of a diffusers pipeline
            raise ModelLoadError(f"'{choice.display}' is not a {task.title} model: it has no diffusers pipeline "
                                 "(model_index.json). Pick a model made for Text to image.") from error
        raise ModelLoadError(f"Could not load '{choice.display}' for {task.title}: {describe(error)}") from error
    pipe.set_progress_bar_config(disable=True)  # progress goes to the browser instead
    return pipe.to(placement.device)


def run(pipe, call, progress=None):
    """One image; progress((step, steps)) after every denoising step."""
    import torch

    kwargs = dict(call.kwargs)
    seed, steps = kwargs.pop("seed"), kwargs["num_inference_steps"]

    def step_done(pipe_, step, timestep, tensors):
        if progress is not None:
            progress((step + 1, steps), desc="Denoising", unit="steps")
        return tensors

    generator = torch.Generator("cpu").manual_seed(seed)  # CPU generator: the same seed gives the same image anywhere
    out = pipe(call.inputs, generator=generator, callback_on_step_end=step_done, **kwargs)
    return {"images": out.images, "seed": seed}


def snippet(context) -> str:
    """Plain diffusers: the pipeline `load` makes, called as `run` calls it (a CPU generator seeded with the seed),
    the picture saved to image.png."""
    from runtime.snippets import literal

    kwargs = dict(context.call.kwargs)
    seed = kwargs.pop("seed")
    placement = dict(context.pipeline_kwargs)
    where = [f"revision={context.revision!r}"] if context.revision else []
    where += ["trust_remote_code=True"] if context.trust_remote_code else []
    where.append(f"dtype={literal(placement.get('dtype', 'torch.float32'))}")
    settings = "".join(f", {k}={literal(v)}" for k, v in kwargs.items())
    return "\n".join([
        "import torch", "from diffusers import DiffusionPipeline", "",
        (f"pipe = DiffusionPipeline.from_pretrained({context.model!r}, {', '.join(where)})"
         f".to({str(placement.get('device', 'cuda'))!r})"),  # (a device_map placement runs on the GPU)
        f"generator = torch.Generator('cpu').manual_seed({seed})  # the same seed gives the same picture",
        f"image = pipe({context.call.inputs!r}, generator=generator{settings}).images[0]",
        "image.save('image.png')", f"result = {{'image': 'image.png', 'seed': {seed}}}", "print(result)"]) + "\n"


def serve(pipe, prompt, parameters):
    """Endpoint mode: the Inference API's parameters are this run's own (seed 0 when none is given); the answer is
    the picture, sent as a PNG file."""
    return run(pipe, Call(prompt, {"seed": 0, **parameters}))["images"][0]


def remote(model, call, progress=None):
    """A model served elsewhere (an Inference Endpoint, a playground in endpoint mode): one picture, same settings."""
    return {"images": [model(call.inputs, **call.kwargs)], "seed": call.kwargs["seed"]}


def cut_note(pipe, call, result=None) -> str:
    """The status line's word when the text encoder reads only the start of a prompt (CLIP: 77 tokens), else ""."""
    tokenizer = getattr(pipe, "tokenizer", None)
    limit = getattr(tokenizer, "model_max_length", None)
    if not limit or limit >= 1_000_000:
        return ""
    cut = []
    for name, text in (("prompt", call.inputs), ("negative prompt", call.kwargs.get("negative_prompt"))):
        if text and len(text) > limit:  # a token covers at least one character
            tokens = len(tokenizer(text, truncation=False, verbose=False)["input_ids"])
            if tokens > limit:
                cut.append(f"{name} cut to the model's first {limit} of {tokens} tokens")
    return "; ".join(cut)


def present(result, **_):
    return {"image": result["images"][0]}


TASK = Task(
    name="text-to-image",
    title="Text to image",
    modality="Multimodal",
    models=(
        "stabilityai/sd-turbo",
        "segmind/small-sd",
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
    ),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=load,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    note=cut_note,
    requires=("diffusers",),
    own_pipeline=True,
    check_architecture=False,
    examples=(
        {"prompt": "A watercolour painting of a cat astronaut floating above the Earth", "negative": "blurry"},
        {"prompt": "A cup of coffee on a wooden table, morning light, photo", "negative": ""},
    ),
    description="Diffusion models (through diffusers) paint a picture from a prompt; a bar shows each denoising step.",
)
