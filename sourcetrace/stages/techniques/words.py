"""Word span rates for the technique tagger (meta `word_rate_blend`).

Some words are labelled propaganda almost whenever they occur in the PTC training articles ("regime",
"radical", "hysteria"), others almost never. The CNN tagger sees a word only through frozen MiniLM vectors in
a 7-piece window; the rate at which the word itself lies inside a gold span is a direct, cheap second opinion.
Each word piece's tagger probability is blended with the smoothed rate of its word (and the highest rate within
two pieces) by a logistic regression fitted on out-of-fold tagger probabilities and out-of-fold rates
(`training.techniques.train`). Words are stored hashed (murmurhash3 of the lowercased word, 2^20 buckets):
counts, no word list of the corpus, are in the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sourcetrace.stages.techniques.encoder import EncodedText

WORD = re.compile(r"\w+")
BUCKETS = 2**20
WINDOW = 2  # pieces either side whose highest word rate is also read


def word_bucket(word: str) -> int:
    from sklearn.utils import murmurhash3_32

    return int(murmurhash3_32(word.lower(), positive=True)) % BUCKETS


def word_counts(texts_and_spans: Iterable[tuple[str, list[tuple[int, int]]]]) -> tuple[np.ndarray, np.ndarray]:
    """Per hashed word: occurrences inside a gold span and in all (training)."""
    inside, total = np.zeros(BUCKETS, dtype=np.int64), np.zeros(BUCKETS, dtype=np.int64)
    for text, spans in texts_and_spans:
        marked = np.zeros(len(text) + 1, dtype=bool)
        for start, end in spans:
            marked[start:end] = True
        for match in WORD.finditer(text):
            bucket = word_bucket(match.group())
            total[bucket] += 1
            inside[bucket] += bool(marked[match.start():match.end()].any())
    return inside, total


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def blend_inputs(text: str, encoded: EncodedText, probabilities: np.ndarray, inside: np.ndarray,
                 total: np.ndarray, alpha: float) -> np.ndarray:
    """One row per word piece: the tagger's logit, its word's smoothed rate (logit), how often the word was
    seen (log), their product, and the highest rate within `WINDOW` pieces. A piece outside any word (a
    punctuation mark) gets the corpus-wide rate, seen 0 times."""
    prior = float(inside.sum() / max(total.sum(), 1))
    rate = np.full(len(probabilities), prior)
    seen = np.zeros(len(probabilities))
    words = list(WORD.finditer(text))
    if words:
        starts = np.array([m.start() for m in words])
        ends = np.array([m.end() for m in words])
        buckets = np.array([word_bucket(m.group()) for m in words])
        # the word each piece starts in: the first word ending after the piece's start, if it begins by then
        index = np.minimum(np.searchsorted(ends, encoded.offsets[:, 0], side="right"), len(words) - 1)
        in_word = starts[index] <= encoded.offsets[:, 0]
        in_word &= encoded.offsets[:, 0] < ends[index]
        bucket = buckets[index[in_word]]
        rate[in_word] = (inside[bucket] + alpha * prior) / (total[bucket] + alpha)
        seen[in_word] = total[bucket]
    rate_logit, log_seen = _logit(rate), np.log1p(seen)
    padded = np.pad(rate_logit, WINDOW, mode="edge")
    nearby = np.lib.stride_tricks.sliding_window_view(padded, 2 * WINDOW + 1).max(axis=1)
    return np.column_stack([_logit(probabilities), rate_logit, log_seen, rate_logit * log_seen / 5, nearby])


class WordRates:
    """The stored counts (`word_rates.npz`) and the blend (meta `word_rate_blend`)."""

    def __init__(self, path: Path, blend: dict) -> None:
        stored = np.load(path)
        self.inside, self.total = np.zeros(BUCKETS), np.zeros(BUCKETS)
        self.inside[stored["buckets"]] = stored["inside"]
        self.total[stored["buckets"]] = stored["total"]
        self.alpha = float(blend["alpha"])
        self.coef, self.intercept = np.array(blend["coef"]), float(blend["intercept"])

    def blend(self, text: str, encoded: EncodedText, probabilities: np.ndarray) -> np.ndarray:
        """The tagger's piece probabilities, blended with the word rates."""
        if len(probabilities) == 0:
            return probabilities
        x = blend_inputs(text, encoded, probabilities, self.inside, self.total, self.alpha)
        return (1 / (1 + np.exp(-(x @ self.coef + self.intercept)))).astype(np.float32)


def save_counts(path: Path, inside: np.ndarray, total: np.ndarray) -> None:
    used = np.flatnonzero(total)
    np.savez_compressed(path, buckets=used.astype(np.int32), inside=inside[used].astype(np.int32),
                        total=total[used].astype(np.int32))
