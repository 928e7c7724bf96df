"""Stance of a passage towards a checked claim: agree, disagree, discuss or unrelated (FNC-1's four labels).

    model = load_stance_model()                  # once per process
    model.predict("Claim checked", "A sentence or passage of the article.")
    # {"agree": 0.71, "disagree": 0.04, "discuss": 0.19, "unrelated": 0.06}

The passage is split into sentences; features compare the claim with the passage as a whole and with its
sentences closest to the claim in MiniLM space: cosines, word overlap, and refuting, hedging, confirming and
negation words (the FNC-1 baseline's cues). A gradient-boosted tree ensemble (`data/models/stance/trees.npz`,
trained with scikit-learn and run here in numpy) maps them to the four probabilities. Model card:
`sourcetrace/data/models/stance/MODEL_CARD.md`.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).resolve().parents[2] / "data" / "models" / "stance"
STANCES = ("agree", "disagree", "discuss", "unrelated")

_SENTENCE_END = re.compile(r"([.!?][\"'\u201d\u2019)\]]*)\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Function words left out of the overlap counts; negations are not among them (they are a feature of their own).
_STOP_WORD_TEXT = """a an the of to in on for at by with from and or but as is are was were be been being it
its this that these those he she they we you i his her their our your has have had do does did will would can
could may might shall should must s says said say about into over after before than then so such also just more
most other some any what which who whom when where why how all each both few up out if while there here"""
_STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())

REFUTING_WORDS = (
    "fake", "fraud", "hoax", "false", "deny", "denies", "denied", "denial", "debunk", "debunked", "bogus", "untrue",
    "myth", "prank", "pranks", "retract", "retracted", "doubt", "doubts", "nope", "refute", "refuted", "refutes",
    "dismiss", "dismissed", "satire", "satirical", "rumour", "rumor", "misleading", "incorrect", "wrong",
    "fabricated", "baseless", "unfounded", "not", "no", "never", "despite",
)
HEDGING_WORDS = (
    "allegedly", "reportedly", "apparently", "supposedly", "purportedly", "claim", "claims", "claimed",
    "unconfirmed", "unverified", "according", "reports", "report", "reported", "may", "might", "could", "possibly",
    "believed", "suggests", "suggest", "speculation", "speculate", "rumoured", "rumored", "appears", "seems", "if",
    "whether", "unclear", "unknown", "sources", "source", "purported",
)
CONFIRMING_WORDS = (
    "confirmed", "confirms", "confirm", "official", "officially", "announced", "revealed", "shows", "showed",
    "proved", "proof", "true", "indeed", "verified", "statement", "said",
)
NEGATION_WORDS = frozenset(("not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot"))
_REFUTING = frozenset(REFUTING_WORDS)
_HEDGING = frozenset(HEDGING_WORDS)
_CONFIRMING = frozenset(CONFIRMING_WORDS)
# The claim's refuting words are one feature each for the first 20 of the list (the FNC-1 baseline's set).
_CLAIM_REFUTING_WORDS = REFUTING_WORDS[:20]
TOP_SENTENCES = 3
EMBEDDING_DIMENSIONS = 384  # all-MiniLM-L6-v2


def split_sentences(text: str) -> list[str]:
    """Sentences at ., ! or ? (closing quotes kept) before a capital or digit, and at line breaks."""
    return [s.strip() for s in _SENTENCE_END.sub("\\1\n", text).split("\n") if len(s.strip()) > 1]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _is_negation(word: str) -> bool:
    return word in NEGATION_WORDS or word.endswith("n't")


def _content_stems(words: Sequence[str]) -> list[str]:
    # A plural s is the only inflection folded: enough for headline/body overlap, and no stemmer to ship.
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if w not in _STOP_WORDS and len(w) > 1]


def _bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(words))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def pair_features(claim: str, claim_vector: np.ndarray, sentences: Sequence[str],
                  sentence_vectors: np.ndarray) -> np.ndarray:
    """The feature vector of (claim, passage): the claim's text and unit MiniLM vector, the passage's sentences and
    theirs (one row each)."""
    count = len(sentences)
    if count:
        cosines = sentence_vectors @ claim_vector
        order = np.argsort(-cosines, kind="stable")
        ranked = cosines[order]
        top = order[:TOP_SENTENCES]
        passage_cosine = float(_unit(sentence_vectors.mean(axis=0)) @ claim_vector)
    else:
        cosines = ranked = np.zeros(1, dtype=np.float32)
        order = top = np.zeros(0, dtype=np.int64)
        passage_cosine = 0.0

    claim_words = _words(claim)
    sentence_words = [_words(s) for s in sentences]
    passage_words = [w for words in sentence_words for w in words]
    top_words = [w for i in top for w in sentence_words[i]]
    claim_stems = set(_content_stems(claim_words))
    passage_stems = set(_content_stems(passage_words))
    top_stems = set(_content_stems(top_words))
    best_stems = set(_content_stems(sentence_words[order[0]])) if count else set()
    lead_stems = set(_content_stems([w for words in sentence_words[:2] for w in words]))
    claim_size = max(len(claim_stems), 1)
    claim_bigrams = _bigrams(_content_stems(claim_words))
    passage_bigrams = _bigrams(_content_stems(passage_words))
    passage_size = max(len(passage_words), 1)
    top_size = max(len(top_words), 1)

    def per_100(words: Sequence[str], vocabulary: frozenset[str], size: int) -> float:
        return 100.0 * sum(1 for w in words if w in vocabulary) / size

    features = [
        float(ranked[0]),
        float(ranked[:TOP_SENTENCES].mean()),
        float(cosines.mean()),
        float(cosines[0]),  # the lead sentence
        passage_cosine,
        float((ranked[:TOP_SENTENCES] > 0.5).sum()),
        float(ranked[0] - ranked[1]) if count > 1 else 0.0,
        len(claim_stems & passage_stems) / claim_size,
        len(claim_stems & top_stems) / claim_size,
        len(claim_stems & best_stems) / claim_size,
        len(claim_stems & lead_stems) / claim_size,
        len(claim_stems & passage_stems) / max(len(claim_stems | passage_stems), 1),
        len(claim_bigrams & passage_bigrams) / max(len(claim_bigrams), 1),
        np.log1p(count),
        np.log1p(len(passage_words)),
        np.log1p(len(claim_words)),
        any(w in _REFUTING for w in claim_words),
        any(w in _HEDGING for w in claim_words),
        sum(map(_is_negation, claim_words)) % 2,
        "?" in claim,
        per_100(passage_words, _REFUTING, passage_size),
        per_100(passage_words, _HEDGING, passage_size),
        per_100(passage_words, _CONFIRMING, passage_size),
        100.0 * sum(map(_is_negation, passage_words)) / passage_size,
        per_100(top_words, _REFUTING, top_size),
        per_100(top_words, _HEDGING, top_size),
        per_100(top_words, _CONFIRMING, top_size),
        100.0 * sum(map(_is_negation, top_words)) / top_size,
        sum(map(_is_negation, top_words)) % 2,
        sum("?" in sentences[i] for i in top),
    ]
    # The sentences that carry a cue, by their closeness to the claim: a denial near the claim's words is what
    # separates disagree from a body that denies something else.
    close = cosines > 0.5 if count else np.zeros(0, dtype=bool)
    for vocabulary in (_REFUTING, _HEDGING, _CONFIRMING, None):
        if vocabulary is None:
            has_cue = np.array([any(map(_is_negation, words)) for words in sentence_words], dtype=bool)
        else:
            has_cue = np.array([any(w in vocabulary for w in words) for words in sentence_words], dtype=bool)
        cued = cosines[has_cue] if count and has_cue.any() else np.zeros(0)
        features.append(float(cued.max()) if len(cued) else 0.0)
        features.append(float((has_cue & close).sum() / max(int(close.sum()), 1)) if count else 0.0)
    best_negated = sum(map(_is_negation, sentence_words[order[0]])) % 2 if count else 0
    features.append(float(best_negated != sum(map(_is_negation, claim_words)) % 2))
    claim_set, top_set, passage_set = set(claim_words), set(top_words), set(passage_words)
    features += [w in claim_set for w in _CLAIM_REFUTING_WORDS]
    features += [w in top_set for w in REFUTING_WORDS + HEDGING_WORDS]
    features += [w in passage_set for w in REFUTING_WORDS + HEDGING_WORDS]
    return np.asarray(features, dtype=np.float64)


def feature_names() -> list[str]:
    """Names of `pair_features`' columns, in order (the model's meta.json lists them)."""
    names = [
        "cosine_best_sentence", "cosine_top3_mean", "cosine_mean", "cosine_lead_sentence", "cosine_passage",
        "top3_cosines_over_0.5", "cosine_best_minus_second", "claim_words_in_passage", "claim_words_in_top3",
        "claim_words_in_best", "claim_words_in_lead", "word_jaccard", "claim_bigrams_in_passage", "log_sentences",
        "log_passage_words", "log_claim_words", "claim_has_refuting", "claim_has_hedging", "claim_negation_parity",
        "claim_is_question", "passage_refuting_per_100", "passage_hedging_per_100", "passage_confirming_per_100",
        "passage_negation_per_100", "top3_refuting_per_100", "top3_hedging_per_100", "top3_confirming_per_100",
        "top3_negation_per_100", "top3_negation_parity", "top3_questions",
    ]
    for cue in ("refuting", "hedging", "confirming", "negation"):
        names += [f"cosine_best_{cue}_sentence", f"close_sentences_with_{cue}"]
    names.append("negation_parity_differs_claim_best")
    names += [f"claim_has:{w}" for w in _CLAIM_REFUTING_WORDS]
    names += [f"top3_has:{w}" for w in REFUTING_WORDS + HEDGING_WORDS]
    names += [f"passage_has:{w}" for w in REFUTING_WORDS + HEDGING_WORDS]
    return names


class TreeEnsemble:
    """A multiclass gradient-boosted tree ensemble in flat arrays (exported from scikit-learn's
    HistGradientBoostingClassifier): raw score of class c = baseline[c] + the leaf values of c's trees; softmax.

    All trees are walked at once, one level per step, so a pair costs a few dozen numpy operations."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.feature = arrays["feature"].astype(np.int64)
        self.threshold = arrays["threshold"].astype(np.float64)
        self.missing_left = arrays["missing_left"].astype(bool)
        self.left = arrays["left"].astype(np.int64)  # node indices into the flat arrays, not within a tree
        self.right = arrays["right"].astype(np.int64)
        self.is_leaf = arrays["is_leaf"].astype(bool)
        self.value = arrays["value"].astype(np.float64)
        self.roots = arrays["roots"].astype(np.int64)  # one per tree
        self.tree_class = arrays["tree_class"].astype(np.int64)
        self.baseline = arrays["baseline"].astype(np.float64)
        self.classes = len(self.baseline)

    @classmethod
    def from_sklearn(cls, model: Any) -> TreeEnsemble:
        fields: dict[str, list[np.ndarray]] = {k: [] for k in
                                               ("feature", "threshold", "missing_left", "left", "right", "is_leaf",
                                                "value")}
        roots, tree_class, offset = [], [], 0
        for iteration in model._predictors:
            for class_index, predictor in enumerate(iteration):
                nodes = predictor.nodes
                if nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not exported")
                fields["feature"].append(nodes["feature_idx"])
                fields["threshold"].append(nodes["num_threshold"])
                fields["missing_left"].append(nodes["missing_go_to_left"])
                fields["left"].append(nodes["left"].astype(np.int64) + offset)
                fields["right"].append(nodes["right"].astype(np.int64) + offset)
                fields["is_leaf"].append(nodes["is_leaf"])
                fields["value"].append(nodes["value"])
                roots.append(offset)
                tree_class.append(class_index)
                offset += len(nodes)
        arrays = {k: np.concatenate(v) for k, v in fields.items()}
        arrays["feature"] = arrays["feature"].astype(np.int32)
        arrays["left"] = arrays["left"].astype(np.int32)
        arrays["right"] = arrays["right"].astype(np.int32)
        arrays["roots"] = np.asarray(roots, dtype=np.int32)
        arrays["tree_class"] = np.asarray(tree_class, dtype=np.int8)
        arrays["baseline"] = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
        return cls(arrays)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "feature": self.feature.astype(np.int32), "threshold": self.threshold, "missing_left": self.missing_left,
            "left": self.left.astype(np.int32), "right": self.right.astype(np.int32), "is_leaf": self.is_leaf,
            "value": self.value, "roots": self.roots.astype(np.int32), "tree_class": self.tree_class.astype(np.int8),
            "baseline": self.baseline,
        }

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Rows of class probabilities, one per feature row."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        rows = np.arange(len(features))[:, None]
        nodes = np.broadcast_to(self.roots, (len(features), len(self.roots))).copy()
        while True:
            inner = ~self.is_leaf[nodes]
            if not inner.any():
                break
            values = features[rows, self.feature[nodes]]
            go_left = (values <= self.threshold[nodes]) | (np.isnan(values) & self.missing_left[nodes])
            nodes = np.where(inner, np.where(go_left, self.left[nodes], self.right[nodes]), nodes)
        leaf_values = self.value[nodes]
        raw = np.tile(self.baseline, (len(features), 1))
        for class_index in range(self.classes):
            raw[:, class_index] += leaf_values[:, self.tree_class == class_index].sum(axis=1)
        raw -= raw.max(axis=1, keepdims=True)
        exp = np.exp(raw)
        return exp / exp.sum(axis=1, keepdims=True)


DECISION_NOTE = ("label = argmax over the four classes of probability x class_weights (weights fitted for macro-F1 on "
                 "out-of-fold probabilities of the training part)")


class StanceModel:
    """The packaged stance model: `predict(claim, passage)` gives the four probabilities."""

    labels = STANCES

    def __init__(self, model_dir: Path = MODEL_DIR, embedder: Any = None) -> None:
        from sourcetrace.errors import ConfigurationError

        meta_path, trees_path = model_dir / "meta.json", model_dir / "trees.npz"
        if not meta_path.is_file() or not trees_path.is_file():
            raise ConfigurationError(f"{model_dir}: the stance model (meta.json, trees.npz) is missing")
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if self.meta["features"] != feature_names() or tuple(self.meta["labels"]) != STANCES:
            raise ConfigurationError(f"{model_dir}: the model was trained on other features or labels than this code "
                                     "computes; retrain it (python -m training.factchecks.stance)")
        with np.load(trees_path) as arrays:
            self.ensemble = TreeEnsemble(dict(arrays))
        self.class_weights = np.asarray(self.meta["class_weights"], dtype=np.float64)
        self.validation_body_ids = list(self.meta.get("validation_body_ids", []))
        self._embedder = embedder

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from sourcetrace._ml.embedder import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    def features(self, claims: Sequence[str], passages: Sequence[str],
                 claim_vectors: np.ndarray | None = None) -> np.ndarray:
        """One feature row per (claim, passage); each distinct claim and sentence is embedded once.

        `claim_vectors` (unit MiniLM vectors, one per claim) spares embedding the claims again when the caller
        has them, as the fact-check index does."""
        if len(claims) != len(passages):
            raise ValueError(f"{len(claims)} claims for {len(passages)} passages")
        sentences = {passage: split_sentences(passage) for passage in dict.fromkeys(passages)}
        wanted = set() if claim_vectors is not None else set(claims)
        wanted |= {s for split in sentences.values() for s in split}
        texts = sorted(wanted)
        vectors = dict(zip(texts, self.embedder.encode(texts))) if texts else {}
        rows = []
        for index, (claim, passage) in enumerate(zip(claims, passages)):
            split = sentences[passage]
            sentence_vectors = (np.array([vectors[s] for s in split]) if split
                                else np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32))
            claim_vector = claim_vectors[index] if claim_vectors is not None else vectors[claim]
            rows.append(pair_features(claim, claim_vector, split, sentence_vectors))
        return np.array(rows).reshape(len(rows), -1)

    def predict_proba(self, claims: Sequence[str], passages: Sequence[str],
                      claim_vectors: np.ndarray | None = None) -> np.ndarray:
        """Rows of (agree, disagree, discuss, unrelated) probabilities, one per (claim, passage)."""
        if not len(claims):
            return np.zeros((0, len(STANCES)))
        return self.ensemble.predict_proba(self.features(claims, passages, claim_vectors))

    def predict(self, claim: str, passage: str, claim_vector: np.ndarray | None = None) -> dict[str, float]:
        """The four probabilities of `passage`'s stance towards `claim`."""
        vectors = None if claim_vector is None else np.asarray(claim_vector)[None, :]
        probabilities = self.predict_proba([claim], [passage], vectors)[0]
        return {label: float(p) for label, p in zip(STANCES, probabilities)}

    def predict_labels(self, claims: Sequence[str], passages: Sequence[str],
                       claim_vectors: np.ndarray | None = None) -> list[str]:
        """The most likely label of each pair, under the class weights chosen for macro-F1 (see meta.json)."""
        probabilities = self.predict_proba(claims, passages, claim_vectors)
        return [STANCES[i] for i in (probabilities * self.class_weights).argmax(axis=1)]


@functools.lru_cache(maxsize=1)
def load_stance_model() -> StanceModel:
    """The packaged stance model, loaded once per process."""
    return StanceModel()
