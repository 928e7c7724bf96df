"""A learned choice of a decoded technique span's edges (`EdgeChooser`).

The tagger's runs of likely word pieces often start or end a token away from the gold span (a leading "the",
an opening quote mark, a word too many). For each decoded span, the candidate starts are its start and the
token starts up to `moves` tokens (words and punctuation marks) either side of it, and likewise the candidate
ends, all inside the span's sentence and line. Two conditional logits (a softmax over one span's candidate
starts, and one over its ends: `ConditionalLogit` of the attribution stage) score each candidate from the
tagger's probability of the token at and just outside the edge, what those tokens are (article, quote mark,
comma, capitalised word, ...), how far the edge moved, and the piece vectors at and just outside it (projected
on a few principal components); the span takes the best start and the best end. Trained by
`training.techniques.train` on out-of-fold decoded spans, labelled with the edges of the gold span the
evaluation pairs each one with (MODEL_CARD.md has the cross-validated effect).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sourcetrace.stages.techniques.encoder import EncodedText

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
QUOTE_MARKS = "\"'“”‘’«»"  # also the technique classifier's quote cue (techniques.py)
_ARTICLES = {"the", "a", "an"}
_LINKS = {"and", "or", "but", "that", "which", "who", "of", "to", "in", "for", "on", "by", "with", "as", "at", "from"}
_SENTENCE_END = set(".!?")


def _kind(token: str | None) -> list[float]:
    """Small one-hot of what a token is (None: no token, the sentence or line ends there)."""
    if token is None:
        return [1.0, 0, 0, 0, 0, 0, 0, 0]
    other_punctuation = (not token[0].isalnum() and token not in QUOTE_MARKS and token not in _SENTENCE_END
                         and token not in ",;:")
    return [0.0, float(token in QUOTE_MARKS), float(token in _SENTENCE_END), float(token in ",;:"),
            float(other_punctuation), float(token.lower() in _ARTICLES), float(token.lower() in _LINKS),
            float(token[0].isupper())]


@dataclass
class EdgeOptions:
    """A span's candidate starts and ends, each with its dense features and the two piece vectors at the edge
    (inside, then outside; zeros where the sentence or line ends)."""

    starts: list[int]
    start_features: np.ndarray
    start_vectors: np.ndarray
    ends: list[int]
    end_features: np.ndarray
    end_vectors: np.ndarray


def edge_options(text: str, encoded: EncodedText, probabilities: np.ndarray, start: int, end: int,
                 moves: int) -> EdgeOptions | None:
    """The candidate edges of text[start:end] (None when no word piece lies inside it)."""
    offsets = encoded.offsets
    inside = np.flatnonzero((offsets[:, 0] < end) & (offsets[:, 1] > start))
    if len(inside) == 0:
        return None
    same = np.isin(encoded.sentence, np.unique(encoded.sentence[inside]))
    low, high = int(offsets[same, 0].min()), int(offsets[same, 1].max())
    low = max(low, text.rfind("\n", low, start) + 1)
    line_end = text.find("\n", end, high)
    high = min(high, line_end) if line_end >= 0 else high
    low, high = min(low, start), max(high, end)
    tokens = [(m.start() + low, m.end() + low) for m in _TOKEN.finditer(text[low:high])]

    def token_probability(a: int, b: int) -> float:  # the highest of the word pieces the token overlaps
        first = int(np.searchsorted(offsets[:, 1], a, side="right"))
        last = int(np.searchsorted(offsets[:, 0], b, side="left"))
        return float(probabilities[first:last].max()) if last > first else 0.0

    starting = {a: (text[a:b], token_probability(a, b)) for a, b in tokens}
    ending = {b: (text[a:b], token_probability(a, b)) for a, b in tokens}
    token_starts = sorted(set(starting) | {start})
    token_ends = sorted(set(ending) | {end})
    home_start, home_end = token_starts.index(start), token_ends.index(end)
    zeros = np.zeros(encoded.vectors.shape[1], dtype=np.float32)
    moved = [k for k in range(-moves, moves + 1) if k]

    def vector(index: int | None, usable: bool) -> np.ndarray:
        return encoded.vectors[index] if index is not None and 0 <= index < len(offsets) and usable else zeros

    starts, start_rows, start_vectors = [], [], []
    for move in range(-moves, moves + 1):
        k = home_start + move
        if not 0 <= k < len(token_starts) or token_starts[k] >= end:
            continue
        x = token_starts[k]
        first, first_p = starting.get(x, (None, 0.0))
        previous = next((b for a, b in reversed(tokens) if b <= x), None)
        previous_token, previous_p = ending[previous] if previous is not None else (None, 0.0)
        starts.append(x)
        start_rows.append([*(float(move == m) for m in moved), first_p, previous_p, *_kind(first),
                           *_kind(previous_token)])
        at = int(np.searchsorted(offsets[:, 1], x, side="right"))
        before = int(np.searchsorted(offsets[:, 0], x, side="left")) - 1
        outside = vector(before, before >= 0 and offsets[before, 1] > low)
        start_vectors.append(np.concatenate([vector(at, True), outside]))
    ends, end_rows, end_vectors = [], [], []
    for move in range(-moves, moves + 1):
        k = home_end + move
        if not 0 <= k < len(token_ends) or token_ends[k] <= start:
            continue
        x = token_ends[k]
        last, last_p = ending.get(x, (None, 0.0))
        following = next((a for a, b in tokens if a >= x), None)
        next_token, next_p = starting[following] if following is not None else (None, 0.0)
        ends.append(x)
        end_rows.append([*(float(move == m) for m in moved), last_p, next_p, *_kind(last), *_kind(next_token)])
        at = int(np.searchsorted(offsets[:, 0], x, side="left")) - 1
        after = int(np.searchsorted(offsets[:, 1], x, side="right"))
        outside = vector(after, after < len(offsets) and offsets[min(after, len(offsets) - 1), 0] < high)
        end_vectors.append(np.concatenate([vector(at, at >= 0), outside]))
    return EdgeOptions(starts, np.array(start_rows, dtype=np.float32), np.stack(start_vectors),
                       ends, np.array(end_rows, dtype=np.float32), np.stack(end_vectors))


class EdgeChooser:
    """The fitted start and end scorers: weights over [dense features, projected inside and outside vectors]."""

    def __init__(self, moves: int, components: np.ndarray, center: np.ndarray, start_weights: np.ndarray,
                 end_weights: np.ndarray) -> None:
        self.moves = moves
        self.components, self.center = components, center
        self.start_weights, self.end_weights = start_weights, end_weights

    def inputs(self, features: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        width = self.center.shape[0]
        return np.hstack([features, (vectors[:, :width] - self.center) @ self.components.T,
                          (vectors[:, width:] - self.center) @ self.components.T])

    def move(self, text: str, encoded: EncodedText, probabilities: np.ndarray,
             spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """Each span with its best-scoring start and end (unchanged when that would leave under 2 characters)."""
        moved = []
        for start, end in spans:
            options = edge_options(text, encoded, probabilities, start, end, self.moves)
            if options is None:
                moved.append((start, end))
                continue
            new_start = options.starts[int((self.inputs(options.start_features, options.start_vectors)
                                            @ self.start_weights).argmax())]
            new_end = options.ends[int((self.inputs(options.end_features, options.end_vectors)
                                        @ self.end_weights).argmax())]
            moved.append((new_start, new_end) if new_end - new_start >= 2 else (start, end))
        return moved
