"""Persuasion techniques in Ukrainian and Russian text, trained on UNLP-2025 (wartime Telegram posts).

Torch-free and small (weights in `sourcetrace/data/models/techniques_unlp/`, see its MODEL_CARD.md):

1. Text-level techniques: hashed word 1-2-grams and character 2-5-grams (within words), TF-IDF weighted, and
   one logistic regression per UNLP technique (plus one for "manipulative at all"), each with its own threshold
   chosen by cross-validation on the training posts.
2. Trigger spans (untyped in UNLP): a logistic regression over hashed features of each token and its two
   neighbours on either side, plus the chunk's P(manipulative); runs of tokens above a threshold (short gaps
   bridged, a seed threshold to start) become character spans.
3. Each trigger span is named with the technique(s) predicted for its chunk (long texts are cut into chunks of
   whole sentences about the size of a Telegram post), mapped to SemEval-2023 names where the mapping is sound
   (`UNLP_TO_2023`). Score = P(span) x P(technique), both logistic-regression probabilities.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from sourcetrace._ml.weights import MODELS_DIR

MODEL_DIR = MODELS_DIR / "techniques_unlp"

# The 10 UNLP-2025 techniques, in the order of the model's outputs.
UNLP_TECHNIQUES: tuple[str, ...] = (
    "loaded_language", "glittering_generalities", "euphoria", "appeal_to_fear", "fud", "bandwagon", "cliche",
    "whataboutism", "cherry_picking", "straw_man",
)
# UNLP label -> the name the techniques stage emits. SemEval-2023 names where the definitions agree; the two
# UNLP techniques with no SemEval-2023 counterpart keep their own name (no family; see the model card).
UNLP_TO_2023: dict[str, str] = {
    "loaded_language": "Loaded_Language",
    "glittering_generalities": "Appeal_to_Values",
    "euphoria": "Euphoria",
    "appeal_to_fear": "Appeal_to_Fear-Prejudice",
    "fud": "Doubt",
    "bandwagon": "Appeal_to_Popularity",
    "cliche": "Conversation_Killer",
    "whataboutism": "Whataboutism",
    "cherry_picking": "Cherry_Picking",
    "straw_man": "Straw_Man",
}

TEXT_HASH_FEATURES = 2**17  # per analyzer (words, characters)
TOKEN_HASH_FEATURES = 2**18
WINDOW = 2
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


# --- features (shared with training) ------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _text_hashers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=TEXT_HASH_FEATURES,
                              alternate_sign=False, norm=None)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=TEXT_HASH_FEATURES,
                              alternate_sign=False, norm=None)
    return words, chars


def text_counts(texts: Sequence[str]) -> scipy.sparse.csr_matrix:
    """Raw hashed n-gram counts (words then characters) of each text."""
    words, chars = _text_hashers()
    return scipy.sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def tfidf(counts: scipy.sparse.csr_matrix, idf: np.ndarray) -> scipy.sparse.csr_matrix:
    """Sublinear TF times IDF, rows L2-normalised (what sklearn's TfidfTransformer(sublinear_tf=True) does)."""
    from sklearn.preprocessing import normalize

    weighted = counts.astype(np.float32).tocsr(copy=True)
    weighted.data = (np.log(weighted.data) + 1) * idf[weighted.indices]
    return normalize(weighted)


def tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word and each punctuation mark."""
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if not word[0].isalnum():
        return "p:" + word
    if word.isupper() and len(word) > 1:
        return "U"
    return "C" if word[0].isupper() else "l"


_SENTENCE_END = frozenset(".!?…")


def sentence_words(text: str, spans: Sequence[tuple[int, int]]) -> list[list[str]]:
    """For each token, the "sw=" features of the words (3+ letters) of its sentence (split at . ! ? … and newlines)."""
    groups: list[list[int]] = [[]]
    for i, (start, end) in enumerate(spans):
        if i and "\n" in text[spans[i - 1][1]:start] and groups[-1]:
            groups.append([])
        groups[-1].append(i)
        if text[start:end] in _SENTENCE_END:
            groups.append([])
    rows: list[list[str]] = [[] for _ in spans]
    for group in groups:
        bag = sorted({"sw=" + text[s:e].lower() for s, e in (spans[i] for i in group) if e - s >= 3})
        for i in group:
            rows[i] = bag
    return rows


def token_features(text: str, spans: Sequence[tuple[int, int]], sentence_context: bool = False) -> list[list[str]]:
    """Hashed-string features of each token: itself, affixes, shape, its neighbours and word pairs (and, with
    `sentence_context`, the words of its sentence: a trigger tends to be a whole clause)."""
    words = [text[s:e] for s, e in spans]
    lower = [w.lower() for w in words]
    padded = ["<s>"] * WINDOW + lower + ["</s>"] * WINDOW
    rows = []
    for i, word in enumerate(lower):
        j = i + WINDOW
        row = [f"w={word}", f"p3={word[:3]}", f"s3={word[-3:]}", f"s2={word[-2:]}", f"sh={_shape(words[i])}",
               f"w-1|w={padded[j - 1]}|{word}", f"w|w+1={word}|{padded[j + 1]}"]
        for offset in range(1, WINDOW + 1):
            row += [f"w-{offset}={padded[j - offset]}", f"w+{offset}={padded[j + offset]}",
                    f"s-{offset}={padded[j - offset][-3:]}", f"s+{offset}={padded[j + offset][-3:]}"]
        # where the sentence is: a trigger tends to be a whole clause
        before = text[spans[i - 1][1]:spans[i][0]] if i else "\n"
        row.append("nl" if "\n" in before else "")
        rows.append(row)
    if sentence_context:
        for row, bag in zip(rows, sentence_words(text, spans)):
            row += bag
    return rows


@functools.lru_cache(maxsize=1)
def _token_hasher() -> Any:
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=TOKEN_HASH_FEATURES, input_type="string", alternate_sign=False)


TOKEN_EXTRA = 3


def token_matrix(text: str, spans: Sequence[tuple[int, int]], manipulative: float,
                 sentence_context: bool = False) -> scipy.sparse.csr_matrix:
    """The span tagger's rows for a text's tokens: hashed strings, then P(manipulative) and position."""
    hashed = _token_hasher().transform(token_features(text, spans, sentence_context))
    n = len(spans)
    position = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    extra = np.column_stack([np.full(n, manipulative, dtype=np.float32), position,
                             np.full(n, np.log1p(n) / 6, dtype=np.float32)])
    return scipy.sparse.hstack([hashed, scipy.sparse.csr_matrix(extra)]).tocsr()


def decode(text: str, spans: Sequence[tuple[int, int]], probabilities: np.ndarray, threshold: float, seed: float,
           gap: int) -> list[tuple[int, int, float]]:
    """Character spans (start, end, mean token probability) from runs of likely tokens."""
    found: list[tuple[int, int, float]] = []
    run: list[int] = []

    def close() -> None:
        if run and probabilities[run].max() >= seed:
            start, end = spans[run[0]][0], spans[run[-1]][1]
            found.append((start, end, float(probabilities[run[0]:run[-1] + 1].mean())))

    for index in np.flatnonzero(probabilities >= threshold):
        if run and index - run[-1] > gap + 1:
            close()
            run = []
        run.append(int(index))
    close()
    return found


def chunks(text: str, sentences: Sequence[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Consecutive sentences grouped into pieces of about `size` characters (a Telegram post's length)."""
    pieces: list[tuple[int, int]] = []
    for start, end in sentences or [(0, len(text))]:
        if pieces and end - pieces[-1][0] <= size:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


# --- the model ----------------------------------------------------------------------------------------------

@dataclass
class UnlpPrediction:
    techniques: dict[str, float]  # UNLP technique -> probability, those above their threshold
    manipulative: float
    spans: list[tuple[int, int, float]]  # (start, end, P(span)), offsets in the whole text


class UnlpTechniqueModel:
    """Text-level technique classifier and trigger-span tagger for uk/ru (numpy + scikit-learn hashing)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        weights = np.load(model_dir / "weights.npz")
        self.idf = weights["idf"].astype(np.float32)
        self.text_coef = weights["text_coef"].astype(np.float32)  # (11, features): 10 techniques, manipulative
        self.text_intercept = weights["text_intercept"].astype(np.float32)
        self.token_coef = weights["token_coef"].astype(np.float32)
        self.token_intercept = float(weights["token_intercept"][0])
        self.thresholds = np.asarray(self.meta["thresholds"], dtype=np.float32)
        self.version: str = self.meta["version"]

    def text_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, 11) probabilities: the 10 UNLP techniques, then P(manipulative)."""
        features = tfidf(text_counts(texts), self.idf)
        return 1 / (1 + np.exp(-(features @ self.text_coef.T + self.text_intercept)))

    def token_probabilities(self, text: str, spans: Sequence[tuple[int, int]], manipulative: float) -> np.ndarray:
        if not spans:
            return np.zeros(0, dtype=np.float32)
        matrix = token_matrix(text, spans, manipulative, bool(self.meta.get("sentence_context", False)))
        logits = matrix @ self.token_coef + self.token_intercept
        return 1 / (1 + np.exp(-logits))

    def predict_text(self, text: str, offset: int = 0, probabilities: np.ndarray | None = None) -> UnlpPrediction:
        """Techniques and trigger spans of one post-sized text (span offsets shifted by `offset`)."""
        row = self.text_probabilities([text])[0] if probabilities is None else probabilities
        manipulative = float(row[-1])
        techniques = {name: float(p) for name, p, t in zip(UNLP_TECHNIQUES, row, self.thresholds) if p >= t}
        token_spans = tokens(text)
        p = self.token_probabilities(text, token_spans, manipulative)
        found = decode(text, token_spans, p, self.meta["span_threshold"], self.meta["span_seed"], self.meta["gap"])
        spans = [(s + offset, e + offset, score) for s, e, score in found if e - s >= self.meta["min_chars"]]
        return UnlpPrediction(techniques, manipulative, spans)

    def predict(self, text: str, sentences: Sequence[tuple[int, int]]) -> list[tuple[str, str, int, int, float]]:
        """(stage technique name, UNLP technique, start, end, score) for each trigger span and technique."""
        pieces = chunks(text, sentences, int(self.meta["chunk_chars"]))
        rows = self.text_probabilities([text[s:e] for s, e in pieces])
        found = []
        for (start, end), row in zip(pieces, rows):
            prediction = self.predict_text(text[start:end], start, row)
            named = sorted(prediction.techniques.items(), key=lambda item: -item[1])[: self.meta["max_per_span"]]
            for span_start, span_end, span_p in prediction.spans:
                for unlp, p in named:
                    found.append((UNLP_TO_2023[unlp], unlp, span_start, span_end, round(span_p * p, 4)))
        return found
