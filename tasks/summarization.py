"""Summarization: a long text in, a short one out, by an encoder-decoder (BART, T5) or a chat model."""

from runtime.errors import UserError
from runtime.spec import Call, Task
from tasks import _seq2seq

MAX_CHARS = 20_000  # for chat models, which read every word; encoder-decoder ones read the start that fits
INSTRUCTION = "Summarize the following text in a few sentences. Reply with the summary only."


def inputs():
    import gradio as gr

    return {"text": gr.Textbox(label="Text to summarize", lines=10, placeholder="Paste an article…",
                               elem_id="summarization-text")}


def params():
    import gradio as gr

    return {
        "max_new_tokens": gr.Slider(8, 512, value=120, step=8, label="Longest summary (new tokens)",
                                    elem_id="summarization-max-new-tokens"),
        "min_new_tokens": gr.Slider(0, 256, value=10, step=1, label="Shortest summary (new tokens)",
                                    elem_id="summarization-min-new-tokens"),
        "num_beams": gr.Slider(1, 8, value=2, step=1, label="Beams", elem_id="summarization-beams",
                               info="More beams: more careful search, slower."),
    }


def outputs():
    import gradio as gr

    return {"summary": gr.Textbox(label="Summary", lines=6, buttons=["copy"], elem_id="summarization-summary"),
            "mode": gr.Markdown(elem_id="summarization-mode")}


def prepare(text, max_new_tokens=120, min_new_tokens=10, num_beams=2, limits=None):
    if not (text or "").strip():
        raise UserError("Paste a text to summarize.")
    if min_new_tokens > max_new_tokens:
        raise UserError("The shortest summary cannot be longer than the longest one.")
    return Call(text.strip(), {"max_new_tokens": int(max_new_tokens), "min_new_tokens": int(min_new_tokens),
                               "num_beams": int(num_beams), "do_sample": False})


def run(pipe, call, progress=None):
    if pipe.task == "text-generation" and len(call.inputs) > MAX_CHARS:
        raise UserError(f"The text is too long for a chat model: at most {MAX_CHARS:,} characters (it has "
                        f"{len(call.inputs):,}). An encoder-decoder model (BART, T5) reads the start of any text.")
    prefix = _seq2seq.t5_prefix(pipe, "summarization", "summarize: ")
    return _seq2seq.generate(pipe, call.inputs, INSTRUCTION, "summary_text", prefix=prefix, **call.kwargs)


def snippet(context) -> str:
    return _seq2seq.snippet(context, context.call.inputs, INSTRUCTION, "summary_text", "summarization", "summarize: ",
                            context.call.kwargs)


def remote(model, call, progress=None):
    """A model served elsewhere, with the same generation settings; this app in endpoint mode says which kind it is."""
    return {"mode": "remote", **model(call.inputs, generate_parameters=call.kwargs)}


def serve(pipe, text, parameters):
    """Endpoint mode: the tab's own run with the request's generation settings, answered as the Inference API does,
    [{"summary_text"}], plus the kind of model that answered ("mode")."""
    generate = parameters.get("generate_kwargs") or {}
    longest = generate.get("max_new_tokens", 120)
    call = prepare(text, longest, generate.get("min_new_tokens", min(10, longest)), generate.get("num_beams", 2))
    return [run(pipe, call)]


def present(result, **_):
    return {"summary": result["summary_text"], "mode": f"Answered by {_seq2seq.MODES[result['mode']]}."}


TASK = Task(
    name="summarization",
    title="Summarization",
    modality="Text",
    models=("sshleifer/distilbart-cnn-12-6", "google-t5/t5-small", "Qwen/Qwen2.5-0.5B-Instruct", "facebook/bart-large-cnn"),
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
    examples=({"text": (
        "The Pipeline Playground lets anyone try Hugging Face models in the browser. Each task has its own tab with "
        "examples, parameters and a rich result, and every tab is also an API endpoint. Models are loaded once and "
        "kept in a shared cache, so the second request is fast. Errors are shown as plain sentences, and the app "
        "works offline with local model folders, which makes it suitable for live demos and air-gapped machines."
    )},),
    own_pipeline=True,
    description="Summarize a text with an encoder-decoder model (BART, T5) or a chat model (asked with a prompt).",
)
