"""Helpers the text tasks share: text highlighted by character spans, labels and lines read from a textbox."""

from collections.abc import Iterable


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
