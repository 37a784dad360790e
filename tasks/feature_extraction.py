"""Sentence similarity from feature extraction: embeds sentences and compares every pair by cosine similarity."""

from runtime.errors import UserError
from runtime.spec import Call, Task
from tasks._text import lines

MAX_SENTENCES = 32


def inputs():
    import gradio as gr

    return {
        "text": gr.Textbox(label="Sentences, one per line", lines=6, elem_id="feature-extraction-sentences",
                           placeholder="A cat sits on the mat.\nA kitten rests on a rug.\nThe stock market fell today."),
    }


def outputs():
    import gradio as gr

    return {
        "info": gr.Markdown(elem_id="feature-extraction-info"),
        "similarity": gr.Dataframe(label="Cosine similarity (1 = same meaning direction, 0 = unrelated)",
                                   interactive=False, wrap=True, column_widths=["28%"],
                                   elem_id="feature-extraction-similarity"),  # a phone: sentences wrap, no scroll
    }


def prepare(text, limits=None):
    sentences = lines(text)
    if len(sentences) < 2:
        raise UserError("Write at least two sentences, one per line, to compare them.")
    if len(sentences) > MAX_SENTENCES:
        raise UserError(f"Compare at most {MAX_SENTENCES} sentences at a time (you gave {len(sentences)}).")
    return Call(sentences, {"tokenize_kwargs": {"truncation": True}})


def embed(token_vectors, normalize: bool = True) -> "np.ndarray":  # noqa: F821
    """Mean of a sentence's token vectors, scaled to length 1 (what sentence-transformers' MiniLM models do)."""
    import numpy as np

    tokens = np.asarray(token_vectors, dtype=np.float32).reshape(-1, np.shape(token_vectors)[-1])
    mean = tokens.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12) if normalize else mean


def serve(pipe, inputs, parameters):
    """Endpoint mode: one vector a text (`embed`: unit length unless "normalize" is false), as TEI and the Inference
    API answer; a text longer than the model's window is read from its start unless "truncate" is false."""
    truncation = bool(parameters.get("truncate", True))
    result = pipe(inputs, tokenize_kwargs={"truncation": truncation})
    normalize = parameters.get("normalize", True)
    if isinstance(inputs, str):
        return embed(own_tokens(pipe, inputs, result, truncation), normalize).tolist()
    return [embed(token_vectors, normalize).tolist() for token_vectors in result]


def own_tokens(pipe, text: str, token_vectors, truncation: bool) -> "np.ndarray":  # noqa: F821
    """A text's token vectors without the padding a batched call adds: its vector is the same in any batch."""
    import numpy as np

    count = len(pipe.tokenizer(text, truncation=truncation)["input_ids"])
    tokens = np.asarray(token_vectors, dtype=np.float32)[0]  # (1, tokens, size): one text
    return tokens[-count:] if pipe.tokenizer.padding_side == "left" else tokens[:count]


def present(result, text, **_):
    import numpy as np

    sentences = lines(text)
    vectors = np.stack([embed(token_vectors) for token_vectors in result])
    similarity = vectors @ vectors.T  # unit vectors: the dot product is the cosine
    short = [s if len(s) <= 40 else s[:39] + "…" for s in sentences]
    names = [f"{i + 1}. {s}" for i, s in enumerate(short)]
    table = {"headers": ["sentence", *[str(i + 1) for i in range(len(sentences))]],
             "data": [[name, *[round(float(v), 3) for v in row]] for name, row in zip(names, similarity)]}
    info = (f"{len(sentences)} sentences · embedding size **{vectors.shape[1]}** · "
            "pooling: mean over tokens · normalisation: L2 (unit length), so similarity = cosine")
    return {"info": info, "similarity": table}


TASK = Task(
    name="feature-extraction",
    title="Sentence similarity",
    modality="Text",
    models=(
        "sentence-transformers/all-MiniLM-L6-v2",
        "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
        "sentence-transformers/all-mpnet-base-v2",
    ),
    inputs=inputs,
    outputs=outputs,
    prepare=prepare,
    present=present,
    examples=(
        {"text": "A cat sits on the mat.\nA kitten is resting on a rug.\nThe stock market fell sharply today."},
        {"text": "How do I reset my password?\nI forgot my login details.\nWhat time does the shop open?"},
    ),
    serve=serve,
    batchable=True,
    offers_batch=False,  # its one input is several sentences compared with each other: a line alone is no input
    description="Feature extraction: each sentence becomes a vector; close meanings point the same way.",
)
