"""Fill-mask: a masked language model guesses the hidden word in a sentence."""

from runtime.errors import UserError
from runtime.spec import Call, Task


def inputs():
    import gradio as gr

    return {
        "text": gr.Textbox(label="Sentence with a mask token", lines=3, elem_id="fill-mask-text",
                           placeholder="Paris is the [MASK] of France.",
                           info="Write the model's mask token where the missing word goes: [MASK] for BERT models, "
                                "<mask> for RoBERTa models. The status line names it after a run."),
    }


def params():
    import gradio as gr

    return {"top_k": gr.Slider(1, 20, value=5, step=1, label="Top k guesses", elem_id="fill-mask-top-k")}


def outputs():
    import gradio as gr

    return {
        "mask_token": gr.Markdown(elem_id="fill-mask-info"),
        "guesses": gr.Label(label="Guesses", elem_id="fill-mask-guesses"),
        "sentences": gr.Dataframe(headers=["sentence", "token", "score"], label="Completed sentences",
                                  interactive=False, elem_id="fill-mask-sentences"),
    }


def prepare(text, top_k=5, limits=None):
    if not (text or "").strip():
        raise UserError("Type a sentence with the model's mask token where the missing word goes.")
    return Call(text.strip(), {"top_k": int(top_k)})


def check_mask(mask_token: str, text: str) -> None:
    """Refuses a sentence without the model's own mask token, naming it (it differs per model)."""
    count = text.count(mask_token)
    if count == 0:
        raise UserError(
            f"This model's mask token is {mask_token}. Put {mask_token} where the missing word goes, "
            f"e.g. 'Paris is the {mask_token} of France.'"
        )
    if count > 1:
        raise UserError(f"Use {mask_token} once: this tab fills one missing word at a time.")


def run(pipe, call, progress=None):
    check_mask(pipe.tokenizer.mask_token, call.inputs)
    return {"mask_token": pipe.tokenizer.mask_token, "guesses": pipe(call.inputs, **call.kwargs)}


def remote(model, call, progress=None):
    """A model served elsewhere: its mask token is the one the text uses."""
    token = next((t for t in ("[MASK]", "<mask>", "<MASK>") if t in call.inputs), "[MASK]")
    return {"mask_token": token, "guesses": model(call.inputs, **call.kwargs)}


def present(result, **_):
    guesses = result["guesses"]
    labels = {}
    for row in guesses:  # two token ids may decode to the same string: keep the better score
        labels.setdefault(row["token_str"].strip() or row["token_str"], row["score"])
    table = [[row["sequence"], row["token_str"], round(float(row["score"]), 4)] for row in guesses]
    return {"mask_token": f"This model's mask token is `{result['mask_token']}`.", "guesses": labels, "sentences": table}


TASK = Task(
    name="fill-mask",
    title="Fill mask",
    modality="Text",
    models=("distilbert/distilbert-base-uncased", "FacebookAI/roberta-base", "google-bert/bert-base-multilingual-cased"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    remote=remote,
    plain_call=True,  # run checks the mask token and keeps it for the page
    examples=(
        {"text": "Paris is the [MASK] of France."},
        {"text": "The quick brown fox jumps over the lazy [MASK]."},
    ),
    batchable=True,
    description="Guess a hidden word. Each model has its own mask token ([MASK] for BERT, <mask> for RoBERTa).",
)
