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
    if pipe.task == "text-generation" or pipe.model.config.model_type not in ("t5", "mt5", "umt5"):
        return ""
    params = getattr(pipe.model.config, "task_specific_params", None) or {}
    return params.get(task_key, {}).get("prefix", fallback)


MODES = {
    "encoder-decoder": "an encoder-decoder model generating from the text",
    "chat": "a chat model, asked through its chat template",
    "completion": "a plain language model continuing a written instruction (no chat template)",
    "remote": "a model served elsewhere (its server did not say which kind)",
}
