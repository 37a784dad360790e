"""Translation: text from one language to another, by an encoder-decoder (Marian, T5) or a chat model."""

from runtime.errors import UserError
from runtime.spec import Call, Task
from tasks import _seq2seq

LANGUAGES = ("English", "French", "German", "Spanish", "Italian", "Portuguese", "Romanian", "Dutch", "Chinese", "Japanese")
MAX_CHARS = 5_000


def inputs():
    import gradio as gr

    return {
        "text": gr.Textbox(label="Text to translate", lines=6, placeholder="Type a text…", elem_id="translation-text"),
        "source": gr.Dropdown(list(LANGUAGES), value="English", label="From", elem_id="translation-source"),
        "target": gr.Dropdown(list(LANGUAGES), value="French", label="To", elem_id="translation-target"),
    }


def params():
    import gradio as gr

    return {
        "max_new_tokens": gr.Slider(8, 512, value=128, step=8, label="Longest translation (new tokens)",
                                    elem_id="translation-max-new-tokens"),
        "num_beams": gr.Slider(1, 8, value=2, step=1, label="Beams", elem_id="translation-beams",
                               info="More beams: more careful search, slower."),
    }


def outputs():
    import gradio as gr

    return {"translation": gr.Textbox(label="Translation", lines=6, buttons=["copy"], elem_id="translation-translation"),
            "mode": gr.Markdown(elem_id="translation-mode")}


def prepare(text, source="English", target="French", max_new_tokens=128, num_beams=2, limits=None):
    if not (text or "").strip():
        raise UserError("Type a text to translate.")
    if len(text) > MAX_CHARS:
        raise UserError(f"The text is too long: at most {MAX_CHARS:,} characters (it has {len(text):,}).")
    if source not in LANGUAGES or target not in LANGUAGES:
        raise UserError(f"Pick languages from the list: {', '.join(LANGUAGES)}.")
    if source == target:
        raise UserError("Pick two different languages.")
    return Call(text.strip(), {"source": source, "target": target, "max_new_tokens": int(max_new_tokens),
                               "num_beams": int(num_beams), "do_sample": False})


def run(pipe, call, progress=None):
    kwargs = dict(call.kwargs)
    instruction, task_key, fallback = wording(kwargs.pop("source"), kwargs.pop("target"))
    prefix = _seq2seq.t5_prefix(pipe, task_key, fallback)
    result = _seq2seq.generate(pipe, call.inputs, instruction, "translation_text", prefix=prefix, **kwargs)
    fixed_pair = pipe.task != "text-generation" and pipe.model.config.model_type == "marian"
    return {**result, "fixed_pair": fixed_pair}


def wording(source: str, target: str) -> tuple[str, str, str]:
    """(the instruction a chat model gets, T5's task key, the T5 prefix if its config has none)."""
    instruction = f"Translate the following text from {source} to {target}. Reply with the translation only."
    code = lambda name: name[:2].lower() if name != "Japanese" else "ja"  # noqa: E731 - T5's task keys use ISO codes
    return instruction, f"translation_{code(source)}_to_{code(target)}", f"translate {source} to {target}: "


def snippet(context) -> str:
    kwargs = dict(context.call.kwargs)
    instruction, task_key, fallback = wording(kwargs.pop("source"), kwargs.pop("target"))
    return _seq2seq.snippet(context, context.call.inputs, instruction, "translation_text", task_key, fallback, kwargs)


def remote(model, call, progress=None):
    """A model served elsewhere, told the languages by name; this app in endpoint mode says which kind it is."""
    kwargs = dict(call.kwargs)
    source, target = kwargs.pop("source"), kwargs.pop("target")
    return {"mode": "remote", **model(call.inputs, src_lang=source, tgt_lang=target, generate_parameters=kwargs)}


def serve(pipe, text, parameters):
    """Endpoint mode: the tab's own run (languages by name, as the tab lists them), answered as the Inference API
    does, [{"translation_text"}], plus the kind of model that answered ("mode", "fixed_pair")."""
    generate = parameters.get("generate_kwargs") or {}
    settings = {k: generate[k] for k in ("max_new_tokens", "num_beams") if k in generate}
    return [run(pipe, prepare(text, parameters.get("src_lang", "English"), parameters.get("tgt_lang", "French"),
                              **settings))]


def present(result, **_):
    note = f"Answered by {_seq2seq.MODES[result['mode']]}."
    if result.get("fixed_pair"):
        note += " Marian models translate the one language pair in their name: the language choice is not used."
    return {"translation": result["translation_text"], "mode": note}


TASK = Task(
    name="translation",
    title="Translation",
    modality="Text",
    models=("Helsinki-NLP/opus-mt-en-fr", "google-t5/t5-small", "Qwen/Qwen2.5-0.5B-Instruct", "Helsinki-NLP/opus-mt-en-de"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=_seq2seq.load,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    examples=(
        {"text": "The weather today is sunny with a light breeze from the west.", "source": "English", "target": "French"},
        {"text": "Machine learning models classify images, audio and text.", "source": "English", "target": "German"},
    ),
    own_pipeline=True,
    description="Translate with an encoder-decoder model (Marian: one language pair; T5: a few) or a chat model (any).",
)
