"""Text utilities shared by the stages, the evaluation and the dataset readers."""

from __future__ import annotations

_EDGE = " \t\r\n\u00a0.,;:!?\"'“”‘’«»()[]—–-"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop whitespace and punctuation at both edges (the exact-match convention of the evaluation)."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end
