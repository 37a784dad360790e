"""What summarization and translation share: one task on encoder-decoder models (BART/T5/Marian) and chat models alike."""

import dataclasses

from runtime.models import load_pipeline, model_source
from runtime.pipelines.seq2seq import pipeline_class


def load(task, choice, placement):
    """Encoder-decoder checkpoints get the registered seq2seq pipeline; decoder-only ones a text-generation pipeline."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    from runtime.pipelines import register_removed

    config = AutoConfig.from_pretrained(model_source(choice), revision=choice.revision,
                                        trust_remote_code=choice.trust_remote_code)
    if getattr(config, "is_encoder_decoder", False):
        register_removed(task.name, pipeline_class(result_key(task)), AutoModelForSeq2SeqLM)
        return load_pipeline(task, choice, placement)
    return load_pipeline(dataclasses.replace(task, name="text-generation"), choice, placement)


def result_key(task) -> str:
    return "summary_text" if task.name == "summarization" else "translation_text"


def generate(pipe, text: str, instruction: str, key: str, prefix: str = "", **generate_kwargs) -> dict:
    """The model's answer as {key: text, "mode": ...}: seq2seq generate, a chat with the instruction, or a completion."""
    if pipe.task != "text-generation":
        return {key: pipe(text, prefix=prefix, **generate_kwargs)[0][key], "mode": "encoder-decoder"}
    settings = {**generate_kwargs, "return_full_text": False}
    if getattr(pipe.tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": f"{instruction}\n\n{text}"}]
        reply = pipe(messages, **settings)[0]["generated_text"]
        if isinstance(reply, list):  # some versions hand back the whole conversation
            reply = reply[-1]["content"]
        return {key: reply.strip(), "mode": "chat"}
    reply = pipe(f"{instruction}\n\n{text}\n\nAnswer:", **settings)[0]["generated_text"]
    return {key: reply.strip(), "mode": "completion"}


def t5_prefix(pipe, task_key: str, fallback: str) -> str:
    """T5 checkpoints expect their task written in front of the text ('summarize: ...')."""
    return "" if pipe.task == "text-generation" else prefix_of(pipe.model.config, task_key, fallback)


def prefix_of(config, task_key: str, fallback: str) -> str:
    if config.model_type not in ("t5", "mt5", "umt5"):
        return ""
    params = getattr(config, "task_specific_params", None) or {}
    return params.get(task_key, {}).get("prefix", fallback)


def snippet(context, text: str, instruction: str, key: str, task_key: str, fallback: str, generate_kwargs: dict) -> str:
    """Plain transformers for what `load` and `generate` do: an encoder-decoder model generates from the text (T5's
    task prefix in front); a decoder-only one is asked with the instruction, in its chat template if it has one."""
    from transformers import AutoConfig

    from runtime.snippets import generic, literal, load_lines, model_lines, processor_lines, written

    try:  # the run loaded the model: its config is at hand
        config = AutoConfig.from_pretrained(context.model, revision=context.revision,
                                            trust_remote_code=context.trust_remote_code)
    except Exception:  # noqa: BLE001 - no config at hand: the generic snippet still says how
        return generic(context)
    settings = ", ".join(f"{k}={literal(v)}" for k, v in generate_kwargs.items())
    if getattr(config, "is_encoder_decoder", False):
        prefix = prefix_of(config, task_key, fallback)
        return written([
            *processor_lines(context, "AutoTokenizer.from_pretrained", "tokenizer"),
            *model_lines(context, "AutoModelForSeq2SeqLM.from_pretrained"),
            *([f"prefix = {prefix!r}  # T5 reads its task in front of the text"] if prefix else []),
            f"text = {text!r}",
            (f"inputs = tokenizer({'prefix + text' if prefix else 'text'}, truncation=True, return_tensors='pt')"
             ".to(model.device)"),
            f"ids = model.generate(**inputs, {settings})",
            f"result = [{{{key!r}: tokenizer.decode(ids[0], skip_special_tokens=True).strip()}}]", "print(result)"],
            [], ["from transformers import AutoModelForSeq2SeqLM, AutoTokenizer"])
    return written([
        "# a chat model is asked through its chat template; a plain one continues the written instruction",
        *load_lines(context, "text-generation"),
        f"prompt = {instruction!r} + '\\n\\n' + {text!r}",
        "if pipe.tokenizer.chat_template:",
        "    inputs = [{'role': 'user', 'content': prompt}]",
        "else:",
        "    inputs = prompt + '\\n\\nAnswer:'",
        f"result = pipe(inputs, {settings}, return_full_text=False)", "print(result)"],
        [], ["from transformers import pipeline"])


MODES = {
    "encoder-decoder": "an encoder-decoder model generating from the text",
    "chat": "a chat model, asked through its chat template",
    "completion": "a plain language model continuing a written instruction (no chat template)",
    "remote": "a model served elsewhere (its server did not say which kind)",
}
