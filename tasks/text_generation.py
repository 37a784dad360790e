"""Text generation: chat with a model (or let it continue your text), streamed token by token, with a Stop that stops."""

import contextlib
import time

from runtime.errors import UserError
from runtime.remote import chat_stream, generation_settings
from runtime.spec import Call, Task
from runtime.sampling import own_generator
from runtime.streaming import stream_text

MAX_PROMPT_CHARS = 20_000
UPDATE_SECONDS = 0.2  # at most 5 screen updates a second: each re-renders the whole reply as markdown, and at 20
# a second a busy browser fell seconds behind the model (Stop then came after the reply had ended)
MODES = {
    "chat": "Chat mode: the model has a chat template, so the system prompt and earlier turns are used.",
    "completion": "Plain completion: this model has no chat template, so it continues your text "
                  "(the system prompt and earlier turns are not used).",
}


def inputs():
    import gradio as gr

    return {
        "message": gr.Textbox(label="Message (or text to continue)", lines=3, placeholder="Write a haiku about the sea.",
                              elem_id="text-generation-message"),
        "system": gr.Textbox(label="System prompt (optional; chat models)", value="You are a helpful assistant.",
                             lines=2, elem_id="text-generation-system"),
    }


def params():
    import gradio as gr

    return {
        "max_new_tokens": gr.Slider(1, 1024, value=128, step=1, label="Max new tokens",
                                    elem_id="text-generation-max-new-tokens"),
        "do_sample": gr.Checkbox(value=True, label="Sample (off: always the likeliest token)",
                                 elem_id="text-generation-do-sample"),
        "temperature": gr.Slider(0.05, 2.0, value=0.7, step=0.05, label="Temperature",
                                 elem_id="text-generation-temperature"),
        "top_k": gr.Slider(0, 200, value=50, step=1, label="Top k (0: off)", elem_id="text-generation-top-k"),
        "top_p": gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top p", elem_id="text-generation-top-p"),
        "repetition_penalty": gr.Slider(1.0, 2.0, value=1.1, step=0.05, label="Repetition penalty",
                                        elem_id="text-generation-repetition-penalty"),
        "seed": gr.Number(value=-1, precision=0, label="Seed (-1: random; same seed, same answer)",
                          elem_id="text-generation-seed"),
    }


def outputs():
    import gradio as gr

    return {"mode": gr.Markdown(elem_id="text-generation-mode")}  # the conversation itself is the app's


def prepare(message, system="", max_new_tokens=128, do_sample=True, temperature=0.7, top_k=50, top_p=0.95,
            repetition_penalty=1.1, seed=-1, history=None, limits=None):
    if not (message or "").strip():
        raise UserError("Type a message (or the start of a text for the model to continue).")
    if len(message) > MAX_PROMPT_CHARS:
        raise UserError(f"The message is too long: at most {MAX_PROMPT_CHARS:,} characters (it has {len(message):,}).")
    if len(system or "") > MAX_PROMPT_CHARS:
        raise UserError(f"The system prompt is too long: at most {MAX_PROMPT_CHARS:,} characters (it has {len(system):,}).")
    settings = {"max_new_tokens": int(max_new_tokens), "do_sample": bool(do_sample),
                "repetition_penalty": float(repetition_penalty)}
    if do_sample:
        settings.update(temperature=float(temperature), top_k=int(top_k), top_p=float(top_p))
    return Call(
        {"message": message.strip(), "system": (system or "").strip(), "history": conversation(history)},
        {**settings, "seed": int(seed if seed is not None else -1)},
    )


def conversation(history) -> list[dict]:
    """The chat so far as [{role, content: str}]: gradio 6 hands content over as lists of blocks."""
    turns = []
    for turn in history or []:
        content = turn.get("content")
        if isinstance(content, dict):
            content = [content]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type", "text") == "text")
        if turn.get("role") in ("user", "assistant") and isinstance(content, str):
            turns.append({"role": turn["role"], "content": content})
    return turns


def run(pipe, call, progress=None):
    """Yields {mode, reply so far}; closing it (Stop, a closed tab) ends the generation thread."""
    kwargs = dict(call.kwargs)
    seed = kwargs.pop("seed")
    kwargs = own_generator(kwargs, seed)  # same seed, same answer, however many generate at once
    chat = bool(getattr(pipe.tokenizer, "chat_template", None))
    prompt = turns(call.inputs) if chat else call.inputs["message"]
    mode = "chat" if chat else "completion"
    # Answer at once, before any token: only a run that has yielded can be closed by Stop (gradio's cancel
    # closes the stored generator; one cancelled before its first yield would be left to generate on).
    yield {"mode": mode, "reply": ""}
    yield from replies(mode, stream_text(pipe, prompt, {**kwargs, "return_full_text": False}))


def remote(model, call, progress=None):
    """A chat model served elsewhere: the conversation through its OpenAI-compatible chat (runtime/remote.py)."""
    yield {"mode": "chat", "reply": ""}
    yield from replies("chat", chat_stream(model, turns(call.inputs), call.kwargs))


def serve(pipe, messages, parameters):
    """Endpoint mode's OpenAI chat (web/endpoint.py): the answer so far, piece by piece, as this tab makes it."""
    def text(content):
        return content if isinstance(content, str) else "".join(p.get("text", "") for p in content if p.get("type") == "text")

    said = [m for m in messages if m.get("role") in ("user", "assistant")]
    if not said or said[-1]["role"] != "user":
        raise UserError("The last message must be the user's.")
    system = "\n".join(text(m["content"]) for m in messages if m.get("role") == "system")
    history = [{"role": m["role"], "content": text(m["content"])} for m in said[:-1]]
    settings = {"repetition_penalty": 1.0, "seed": int(parameters.get("seed", -1)), **generation_settings(parameters)}
    call = Call({"message": text(said[-1]["content"]), "system": system, "history": history}, settings)
    with contextlib.closing(run(pipe, call)) as replies_:
        for reply in replies_:
            yield reply["reply"]


def turns(data) -> list[dict]:
    system = [{"role": "system", "content": data["system"]}] if data["system"] else []
    return [*system, *data["history"], {"role": "user", "content": data["message"]}]


def snippet(context) -> str:
    """Plain transformers: the chat (system prompt, history, message) where the model has a chat template, else the
    message to continue, as `run` decides; the answer only, as the tab shows it."""
    from runtime.snippets import literal, load_lines

    kwargs = dict(context.call.kwargs)
    seed = kwargs.pop("seed", -1)
    lines = ["import torch", "from transformers import pipeline", "", *load_lines(context),
             f"messages = {turns(context.call.inputs)!r}",
             "# a model without a chat template continues the message instead (no system prompt, no history)",
             "inputs = messages if pipe.tokenizer.chat_template else messages[-1]['content']"]
    if kwargs.get("do_sample") and seed >= 0:
        lines.append(f"torch.manual_seed({seed})  # the app samples from a generator of its own: another sample here")
    written = "".join(f", {k}={literal(v)}" for k, v in kwargs.items())
    lines += [f"result = pipe(inputs{written}, return_full_text=False)", "print(result)"]
    return "\n".join(lines) + "\n"


def replies(mode, stream):
    """{mode, reply so far} at most every UPDATE_SECONDS, the first token at once and the end always; closing this
    closes the stream."""
    reply = shown = ""
    last = time.monotonic()
    with contextlib.closing(stream):
        for reply in stream:
            if (reply and not shown) or time.monotonic() - last >= UPDATE_SECONDS:
                yield {"mode": mode, "reply": reply}
                shown, last = reply, time.monotonic()
    if reply != shown:  # the end of the text, however soon after the last update
        yield {"mode": mode, "reply": reply}


def present(result, message, history=None, **_):
    if result["mode"] == "chat":
        chat = [*conversation(history), {"role": "user", "content": message.strip()},
                {"role": "assistant", "content": result["reply"]}]
    else:  # a completion continues the text: show it whole
        chat = [{"role": "user", "content": message.strip()}, {"role": "assistant", "content": message.strip() + result["reply"]}]
    return {"history": chat, "mode": MODES[result["mode"]]}


TASK = Task(
    name="text-generation",
    title="Text generation & chat",
    modality="Text",
    models=("HuggingFaceTB/SmolLM2-135M-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", "openai-community/gpt2"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    snippet=snippet,
    remote=remote,
    serve=serve,
    streams=True,
    conversation=True,
    examples=(
        {"message": "Write a haiku about the sea.", "system": "You are a helpful assistant."},
        {"message": "Explain in two sentences what a tokenizer does.", "system": "You are a patient teacher."},
        {"message": "Once upon a time, in a small village by the river,", "system": ""},
    ),
    description="Chat with an instruct model (system prompt + history) or let a plain model continue your text. "
                "Answers stream token by token; **Stop** ends generation at once.",
)
