"""Persuasion techniques in Russian news articles, trained on SemEval-2023 Task 3 (the Russian span data).

Torch-free and on tokens alone (weights in `sourcetrace/data/models/techniques_ru/`, see its MODEL_CARD.md):

1. A span tagger: a logistic regression over hashed features of each token, its two neighbours on either side
   and the words of its sentence (`unlp.token_features`); runs of tokens above a threshold (short gaps bridged,
   a seed threshold to start) become character spans.
2. A technique classifier: a multinomial logistic regression over hashed word 1-2-grams and character 2-5-grams
   of the span, and (weighted down) of its sentence. Techniques with too few training spans are not among its
   classes, so they are never emitted.
3. Score: a logistic regression fitted on out-of-fold spans of the training articles to the event the score
   claims, that the span overlaps a gold span of its technique, from the tagger's mean and highest token
   probability, the classifier's top probability and lead, and the span's length. Spans under meta `min_score`
   are not shown (the precision operating point); meta `recall_min_score` is the cut with the best span F1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from sourcetrace._ml.weights import MODELS_DIR
from sourcetrace.stages.techniques.unlp import decode, token_features, tokens

MODEL_DIR = MODELS_DIR / "techniques_ru"
SPAN_HASH_FEATURES = 2**15  # per analyzer (words, characters), for the technique classifier
SENTENCE_WEIGHT = 0.5  # the span's sentence next to the span's own n-grams


@functools.lru_cache(maxsize=1)
def _token_hasher() -> Any:
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=2**18, input_type="string", alternate_sign=False)


def token_rows(text: str, spans: Sequence[tuple[int, int]]) -> scipy.sparse.csr_matrix:
    """The span tagger's rows: hashed token, neighbour and sentence-word features of each token."""
    return _token_hasher().transform(token_features(text, spans, sentence_context=True)).tocsr()


@functools.lru_cache(maxsize=1)
def _span_hashers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=SPAN_HASH_FEATURES,
                              alternate_sign=False, norm="l2")
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=SPAN_HASH_FEATURES,
                              alternate_sign=False, norm="l2")
    return words, chars


def sentence_around(text: str, start: int, end: int) -> str:
    """The line (paragraph) that holds the span."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start:line_end if line_end >= 0 else len(text)]


def span_rows(text: str, spans: Sequence[tuple[int, int]]) -> scipy.sparse.csr_matrix:
    """The technique classifier's rows: hashed n-grams of each span, then of its sentence (weighted down)."""
    words, chars = _span_hashers()
    if not spans:
        return scipy.sparse.csr_matrix((0, 4 * SPAN_HASH_FEATURES), dtype=np.float64)
    own = [text[s:e] for s, e in spans]
    around = [sentence_around(text, s, e) for s, e in spans]
    return scipy.sparse.hstack([words.transform(own), chars.transform(own),
                                words.transform(around) * SENTENCE_WEIGHT,
                                chars.transform(around) * SENTENCE_WEIGHT]).tocsr()


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def score_inputs(mean_p: float, max_p: float, technique_probabilities: np.ndarray, chars: int) -> np.ndarray:
    """What the score calibration reads about a span."""
    top = np.sort(technique_probabilities)[::-1]
    second = top[1] if len(top) > 1 else 0.0
    return np.array([_logit(mean_p), _logit(max_p), _logit(top[0]), top[0] - second, np.log(max(chars, 1))])


class RussianTechniqueModel:
    """Span tagger, technique classifier and score calibration for Russian (numpy + scikit-learn hashing)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        weights = np.load(model_dir / "weights.npz")
        self.token_coef = weights["token_coef"].astype(np.float32)
        self.token_intercept = float(weights["token_intercept"][0])
        self.class_coef = weights["class_coef"].astype(np.float32)  # (classes, span features)
        self.class_intercept = weights["class_intercept"].astype(np.float32)
        self.score_coef = np.asarray(self.meta["score_calibration"]["coef"], dtype=np.float64)
        self.score_intercept = float(self.meta["score_calibration"]["intercept"])
        self.classes: list[str] = self.meta["classes"]
        self.version: str = self.meta["version"]

    def token_probabilities(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        if not spans:
            return np.zeros(0, dtype=np.float32)
        return 1 / (1 + np.exp(-(token_rows(text, spans) @ self.token_coef + self.token_intercept)))

    def technique_probabilities(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        z = span_rows(text, spans) @ self.class_coef.T + self.class_intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def scored_spans(self, text: str) -> list[tuple[str, int, int, float]]:
        """(technique, start, end, calibrated score) of every decoded span, before any cut."""
        token_spans = tokens(text)
        p = self.token_probabilities(text, token_spans)
        found = [(s, e, mean_p) for s, e, mean_p in decode(text, token_spans, p, self.meta["threshold"],
                                                            self.meta["seed"], self.meta["gap"])
                 if e - s >= self.meta["min_chars"]]
        if not found:
            return []
        probabilities = self.technique_probabilities(text, [(s, e) for s, e, _ in found])
        starts = np.array([s for s, _ in token_spans])
        result = []
        for (start, end, mean_p), row in zip(found, probabilities):
            inside = p[(starts >= start) & (starts < end)]
            x = score_inputs(mean_p, float(inside.max()) if len(inside) else mean_p, row, end - start)
            score = 1 / (1 + np.exp(-(x @ self.score_coef + self.score_intercept)))
            result.append((self.classes[int(row.argmax())], start, end, round(float(score), 4)))
        return result

    def predict(self, text: str, sentences: Sequence[tuple[int, int]] = ()) -> list[tuple[str, int, int, float]]:
        """(technique, start, end, score) of each span scoring at least meta `min_score`."""
        cut = float(self.meta["min_score"])
        return [span for span in self.scored_spans(text) if span[3] >= cut]
