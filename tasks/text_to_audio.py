"""Text to speech and music: text in, playable and downloadable audio out (VITS, SpeechT5 + vocoder, MusicGen)."""

import threading

from runtime.errors import UserError
from runtime.spec import Call, Task

MAX_CHARACTERS = 600  # TTS models read a few sentences at a time
GENERATIVE = ("musicgen", "musicgen_melody", "bark")  # token-by-token models that take generation parameters
SPEECHT5_VOCODER = "microsoft/speecht5_hifigan"
VOICE_FILE = "speaker_embeddings.npy"  # optional x-vector saved next to a SpeechT5 model


def inputs():
    import gradio as gr

    return {
        "text": gr.Textbox(
            label="Text", lines=3, value="Hello, and welcome to the pipeline playground.",
            info="Speech for TTS models; a description of the music for MusicGen", elem_id="text-to-audio-text",
        )
    }


def params():
    import gradio as gr

    return {
        "max_new_tokens": gr.Slider(16, 1500, value=256, step=16, label="Length in tokens (MusicGen, Bark)",
                                    info="MusicGen makes about 50 tokens per second",
                                    elem_id="text-to-audio-max-new-tokens"),
        "do_sample": gr.Checkbox(value=True, label="Sample (MusicGen, Bark)", elem_id="text-to-audio-do-sample"),
        "temperature": gr.Slider(0.1, 2.0, value=1.0, step=0.05, label="Temperature (MusicGen, Bark)",
                                 elem_id="text-to-audio-temperature"),
        "guidance_scale": gr.Slider(1.0, 10.0, value=3.0, step=0.5, label="Guidance scale (MusicGen)",
                                    elem_id="text-to-audio-guidance-scale"),
        "seed": gr.Number(value=0, precision=0, label="Seed", info="The same seed and text give the same audio",
                          elem_id="text-to-audio-seed"),
    }


def outputs():
    import gradio as gr

    return {"audio": gr.Audio(label="Audio", type="numpy", interactive=False, buttons=["download"],
                              elem_id="text-to-audio-audio")}


def prepare(text, max_new_tokens=256, do_sample=True, temperature=1.0, guidance_scale=3.0, seed=0, limits=None):
    text = (text or "").strip()
    if not text:
        raise UserError("Write some text to turn into audio first.")
    if len(text) > MAX_CHARACTERS:
        raise UserError(f"The text is {len(text)} characters long; this tab reads at most {MAX_CHARACTERS}.")
    options = {
        "max_new_tokens": int(max_new_tokens), "do_sample": bool(do_sample), "temperature": float(temperature),
        "guidance_scale": float(guidance_scale), "seed": int(seed or 0),
    }
    return Call(text, options)


def load(task, choice, placement):
    """SpeechT5 speaks through a separate vocoder: pass one to pipeline(), or transformers tries to download it."""
    from transformers import AutoConfig

    from runtime.config import ModelChoice
    from runtime.models import load_pipeline, model_source

    source = model_source(choice)
    config = AutoConfig.from_pretrained(source, revision=choice.revision)
    if config.model_type != "speecht5":
        return load_pipeline(task, choice, placement)
    from pathlib import Path

    from transformers import SpeechT5HifiGan

    local = Path(source) / "vocoder"  # a local model folder carries its vocoder with it
    vocoder = SpeechT5HifiGan.from_pretrained(str(local) if local.is_dir() else model_source(ModelChoice(SPEECHT5_VOCODER)))
    pipe = load_pipeline(task, choice, placement, vocoder=vocoder)
    pipe.vocoder.to(pipe.device)
    return pipe


SEEDED = threading.Lock()


def run(pipe, call, progress=None):
    """Applies each option only where the loaded model takes it, and says which were used."""
    import torch

    options = dict(call.kwargs)
    kind = pipe.model.config.model_type
    with SEEDED:  # the seed is torch's global one: concurrent requests must not draw from it in between
        torch.manual_seed(options["seed"])
        return _generate(pipe, call, options, kind)


def _generate(pipe, call, options, kind):
    kwargs, applied = {}, {"model_type": kind, "seed": options["seed"]}
    if kind in GENERATIVE:
        generate = {k: options[k] for k in ("max_new_tokens", "do_sample", "temperature")}
        if kind.startswith("musicgen"):
            generate["guidance_scale"] = options["guidance_scale"]
        kwargs["generate_kwargs"] = generate
        applied.update(generate)
    elif kind == "speecht5":
        kwargs["forward_params"] = {"speaker_embeddings": speaker_embeddings(pipe, options["seed"])}
        applied["voice"] = getattr(pipe, "_voice", "random (seeded)")
    result = pipe(call.inputs, **kwargs)
    ignored = [k for k in ("max_new_tokens", "do_sample", "temperature", "guidance_scale") if k not in applied]
    return {**result, "applied": applied, "ignored": ignored}


def snippet(context) -> str:
    """Plain transformers for what `load` and `run` do for this model's kind: generation settings for MusicGen and
    Bark, a vocoder and a voice for SpeechT5; the seed; the sound saved to audio.wav."""
    from pathlib import Path

    from transformers import AutoConfig

    from runtime.snippets import generic, literal, load_lines, written

    try:  # the run loaded the model: its config is at hand
        config = AutoConfig.from_pretrained(context.model, revision=context.revision)
    except Exception:  # noqa: BLE001 - no config at hand: the generic snippet still says how
        return generic(context)
    options, kind, text = context.call.kwargs, config.model_type, context.call.inputs
    seed = options["seed"]
    lines, kwargs, imports = [], "", ["import soundfile", "from transformers import pipeline"]
    if kind in GENERATIVE:
        generate = {k: options[k] for k in ("max_new_tokens", "do_sample", "temperature")}
        if kind.startswith("musicgen"):
            generate["guidance_scale"] = options["guidance_scale"]
        lines += load_lines(context)
        kwargs = f", generate_kwargs={{{', '.join(f'{k!r}: {literal(v)}' for k, v in generate.items())}}}"
    elif kind == "speecht5":
        local = Path(context.model) / "vocoder"  # a local model folder carries its vocoder
        imports = ["import soundfile", "from transformers import SpeechT5HifiGan, pipeline"]
        lines += [f"vocoder = SpeechT5HifiGan.from_pretrained({str(local) if local.is_dir() else SPEECHT5_VOCODER!r})",
                  *load_lines(context, extra={"vocoder": "vocoder"}), "pipe.vocoder.to(pipe.device)",
                  f"torch.manual_seed({seed})"]
        saved = Path(context.model) / VOICE_FILE
        if saved.is_file():
            imports.insert(0, "import numpy")
            lines.append(f"voice = torch.from_numpy(numpy.load({str(saved)!r})).float()  # the model's saved x-vector")
        else:
            lines.append(f"voice = torch.randn({config.speaker_embedding_dim}, generator=torch.Generator()"
                         f".manual_seed({seed})) * 0.05  # a random voice (seeded)")
        kwargs = ", forward_params={'speaker_embeddings': voice.reshape(1, -1).to(pipe.device, pipe.model.dtype)}"
    else:
        lines += load_lines(context)
    if kind != "speecht5":
        lines.append(f"torch.manual_seed({seed})  # the same seed gives the same sound")
    return written([
        *lines, f"result = pipe({text!r}{kwargs})",
        "audio = result['audio'].T if result['audio'].ndim == 2 else result['audio']  # (samples, channels)",
        "soundfile.write('audio.wav', audio, result['sampling_rate'])", "print(result)"], [], imports)


def remote(model, call, progress=None):
    """A model served elsewhere: generation settings by the protocol's names, guidance and seed beside them."""
    return model(call.inputs, **call.kwargs, extra_body={k: call.kwargs[k] for k in ("guidance_scale", "seed")})


def serve(pipe, text, parameters):
    """Endpoint mode: the tab's own run with the request's settings (seed 0 when none is given); encoded() answers
    the audio as a WAV file."""
    names = ("max_new_tokens", "do_sample", "temperature", "guidance_scale", "seed")
    return run(pipe, prepare(text, **{k: parameters[k] for k in names if k in parameters}))


def speaker_embeddings(pipe, seed: int):
    """The voice of a SpeechT5 model: its saved x-vector if the folder has one, else a seeded random one."""
    import numpy as np
    import torch

    from pathlib import Path

    saved = Path(getattr(pipe.model, "name_or_path", "")) / VOICE_FILE
    if saved.is_file():
        pipe._voice = VOICE_FILE
        vector = torch.from_numpy(np.load(saved)).float()
    else:
        pipe._voice = "random (seeded)"
        dim = pipe.model.config.speaker_embedding_dim
        vector = torch.randn(dim, generator=torch.Generator().manual_seed(seed)) * 0.05
    return vector.reshape(1, -1).to(pipe.device, pipe.model.dtype)


def present(result, **_):
    import numpy as np

    audio = np.asarray(result["audio"], dtype=np.float32)
    audio = audio.T if audio.ndim == 2 else audio  # (channels, samples) -> (samples, channels)
    if audio.ndim == 2 and audio.shape[1] == 1:
        audio = audio[:, 0]
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 1.0:  # keep it playable without clipping
        audio = audio / peak
    return {"audio": (int(result["sampling_rate"]), (audio * 32767).astype(np.int16))}  # 16-bit PCM, as players expect


TASK = Task(
    name="text-to-audio",
    title="Text to speech and music",
    modality="Audio",
    models=("facebook/mms-tts-eng", "microsoft/speecht5_tts", "facebook/musicgen-small"),
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
    requires=("sentencepiece",),
    examples=(
        {"text": "Hello, and welcome to the pipeline playground."},
        {"text": "lo-fi beat with a warm piano and soft rain"},
    ),
    description=(
        "VITS (MMS) and SpeechT5 read text aloud; MusicGen writes music from a description. "
        "Length, sampling and guidance apply to MusicGen-class models; the raw JSON says what was used."
    ),
)
