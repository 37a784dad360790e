"""Helpers the text tasks share: tiny BERT configs and text highlighted by character spans."""

from collections.abc import Iterable


def bert_config(tokenizer, **extra):
    """A two-layer BERT of hidden size 32 over the tokenizer's vocabulary: builds and loads in milliseconds."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=tokenizer.model_max_length, pad_token_id=tokenizer.pad_token_id, **extra,
    )


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """(text, label) pieces for gr.HighlightedText; spans outside the text or overlapping an earlier one are skipped."""
    pieces, at = [], 0
    for start, end, label in sorted(spans):
        if start is None or end is None or start < at or end > len(text) or end <= start:
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], label))
        at = end
    if at < len(text) or not pieces:
        pieces.append((text[at:], None))
    return pieces


def split_labels(text: str | None) -> list[str]:
    """'a, b,,c ' -> ['a', 'b', 'c'], first occurrence kept."""
    return list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
