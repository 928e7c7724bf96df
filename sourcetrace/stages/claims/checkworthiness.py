"""Check-worthiness scores: how much a sentence deserves a fact-checker's attention, 0..1.

The model (trained by `python -m training.claims.checkworthiness` on CLEF CheckThat! 2024 Task 1 train only)
is a logistic regression over TF-IDF word and character n-grams joined with TF-IDF n-grams of the sentence's
"shape": its tokens as part-of-speech tags, or as entity labels inside named entities, from the spaCy backbone
("We created 22 million jobs" -> "PRP VBD E_CARDINAL E_CARDINAL NNS"), which carries what makes a sentence
checkable (numbers, dates, named actors, past tense) beyond the words a debate happened to use. Its probability
is averaged with that of a MiniLM head (`python -m training.claims.checkworthiness_top`): the upper layers of
all-MiniLM-L6-v2, fine-tuned over the word-piece vectors that the article's shared MiniLM pass
(`sourcetrace._ml.shared_encoder`) computes anyway, shipped as an int8 ONNX graph of those layers alone and run with
onnxruntime (no torch, no second encoder over the claims); the weight of each and the threshold were chosen on
held-out train sentences. `MinilmScorer` runs a model folder whose MiniLM half is a whole fine-tuned encoder
instead (a config without `shared_layer`, as `python -m training.claims.checkworthiness_minilm` writes).
Weights and their card live in `sourcetrace/data/models/checkworthiness/`; loading is once per process
(`load_checkworthiness_model`). The n-gram model is stored without pickle: `ngrams.json` (each TF-IDF
vectorizer's settings) and `ngrams.npz` (their vocabularies, IDF weights and the classifier's coefficients),
rebuilt into scikit-learn vectorizers at load time (`save_ngram_model`, `load_ngram_model`), so scikit-learn's
version does not decide whether the model loads.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.embedder import load_embedder
from sourcetrace._ml.onnx import onnx_session, wordpiece_tokenizer
from sourcetrace._ml.shared_encoder import DIMENSIONS
from sourcetrace._ml.weights import MODELS_DIR, check_sha256
from sourcetrace.errors import ConfigurationError

MODEL_DIR = MODELS_DIR / "checkworthiness"
# the alternative whose MiniLM half is a head over the shared pass (`checkworthiness_model_dir: checkworthiness_shared`)
SHARED_MODEL_DIR = MODELS_DIR / "checkworthiness_shared"
# the fine-tuned MiniLM classifier (int8 ONNX) whose probability is averaged with the TF-IDF model's
MINILM_FILE = "minilm-int8.onnx"
# only the tagger and the entity recogniser are needed for shapes
_SHAPE_DISABLED = ("parser", "lemmatizer", "sourcetrace_lemma_table", "sourcetrace_line_breaks")


def shape_of(tokens: Iterable[Any]) -> str:
    """A sentence as tags: the entity label inside an entity (E_CARDINAL), else the fine POS tag (VBD)."""
    return " ".join(f"E_{t.ent_type_}" if t.ent_type_ else t.tag_ for t in tokens if not t.is_space)


def sentence_shapes(texts: Sequence[str], batch_size: int = 256) -> list[str]:
    """The shapes of texts, each parsed alone (as in training) by the backbone's spaCy model."""
    # imported here: the MiniLM scorer in this module must load without spaCy (which imports torch when present)
    from sourcetrace.pipeline.backbone import load_spacy

    nlp = load_spacy()
    disabled = [name for name in _SHAPE_DISABLED if name in nlp.pipe_names]
    return [shape_of(doc) for doc in nlp.pipe(texts, batch_size=batch_size, disable=disabled)]


class MinilmScorer:
    """The fine-tuned MiniLM check-worthiness classifier on onnxruntime: texts in, probabilities out."""

    def __init__(self, model_path: Path, max_len: int = 96, threads: int | None = None) -> None:
        # the same uncased WordPiece vocabulary as all-MiniLM-L6-v2, which the classifier was fine-tuned from
        self.tokenizer = wordpiece_tokenizer(max_len)
        self.session = onnx_session(model_path, threads)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """One text per call, unpadded: the model quantizes its activations with one scale over the whole input
        tensor (DynamicQuantizeLinear), so a text batched with others would score differently."""
        texts = list(texts)
        out = np.zeros(len(texts), dtype=np.float32)
        for index, text in enumerate(texts):
            ids = np.array([self.tokenizer.encode(text or " ").ids], dtype=np.int64)
            (probability,) = self.session.run(["probability"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            out[index] = probability.reshape(-1)[0]
        return out


# the head over the shared MiniLM pass: the upper MiniLM layers, fine-tuned, as an ONNX graph (int8)
TOP_FILE = "top-int8.onnx"
# a claim's first word pieces that the head reads (training read as many of each sentence)
MAX_PIECES = 128


def claim_pieces(encoding: Any, fragments: Sequence[tuple[int, int]], layer: int,
                 limit: int = MAX_PIECES) -> np.ndarray:
    """The shared pass's layer-`layer` vectors of the word pieces inside a claim's fragments, in text order, at most
    `limit`: for a claim that is a whole sentence, the vectors of that sentence encoded alone; for a part of a
    sentence (a quotation's content), the part's pieces as the sentence put them in context."""
    offsets = encoding.offsets
    inside = np.zeros(len(offsets), dtype=bool)
    for start, end in fragments:
        inside |= (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
    return encoding.pieces[layer][inside][:limit]


class TopLayersScorer:
    """The check-worthiness head on onnxruntime: the upper MiniLM layers, fine-tuned, over a claim's word-piece
    vectors from the shared pass's layer `layer`, then a mean over the pieces and a logit."""

    def __init__(self, model_path: Path, layer: int, limit: int = MAX_PIECES, threads: int | None = None) -> None:
        self.layer = layer
        self.limit = limit
        self.session = onnx_session(model_path, threads)

    def score_pieces(self, pieces: np.ndarray) -> float:
        """One claim per call: an int8 graph quantizes its activations with one scale over the whole input
        tensor (DynamicQuantizeLinear), so a claim batched with others would score differently."""
        pieces = np.asarray(pieces, dtype=np.float32)[: self.limit]
        if len(pieces) == 0:  # a claim with no word piece (no text): the graph needs one row
            pieces = np.zeros((1, DIMENSIONS), dtype=np.float32)
        (probability,) = self.session.run(["probability"], {"pieces": np.ascontiguousarray(pieces[None])})
        return float(probability.reshape(-1)[0])

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Texts scored outside an analysis: each encoded alone by the shared encoder (as a sentence of an article
        is), then through the head."""
        return np.array([self.score_pieces(pieces) for pieces in text_pieces(texts, self.layer, self.limit)],
                        dtype=np.float32)


def text_pieces(texts: Sequence[str], layer: int, limit: int = MAX_PIECES) -> list[np.ndarray]:
    """The shared pass's layer-`layer` vectors of each text encoded alone (one window, as an article's sentence
    is), at most `limit` per text. The pass batches only texts of equal length, so a text's vectors do not
    depend on the other texts."""
    from sourcetrace._ml.shared_encoder import load_shared_encoder

    encoder = load_shared_encoder()
    encoder.require_layers([layer])
    texts = [text if text and text.strip() else " " for text in texts]
    spans: list[tuple[int, int]] = []
    position = 0
    for text in texts:
        spans.append((position, position + len(text)))
        position += len(text) + 1
    encoding = encoder.encode_spans("\n".join(texts), spans)
    return [claim_pieces(encoding, [span], layer, limit) for span in spans]


NGRAM_SETTINGS = "ngrams.json"
NGRAM_ARRAYS = "ngrams.npz"
NGRAM_FORMAT = "sourcetrace-checkworthiness-ngrams/1"
# the TfidfVectorizer settings that decide its output (the rest are sklearn's defaults, also at training)
_VECTORIZER_SETTINGS = ("analyzer", "ngram_range", "lowercase", "token_pattern", "sublinear_tf", "norm",
                        "use_idf", "smooth_idf", "binary", "strip_accents", "min_df", "max_df")


class LogisticScores:
    """A binary logistic regression from its coefficients: the logistic of `features @ coef.T + intercept`, as
    scikit-learn's `LogisticRegression.predict_proba` computes it, for sparse or dense features."""

    def __init__(self, coefficients: np.ndarray, intercept: np.ndarray) -> None:
        # in the dtype training left them (float32 when fitted on float32 features): the same arithmetic
        self.coef_ = np.asarray(coefficients).reshape(1, -1)
        self.intercept_ = np.asarray(intercept).reshape(1)

    def predict_proba(self, features: Any) -> np.ndarray:
        from scipy.special import expit

        positive = expit(np.asarray(features @ self.coef_.T + self.intercept_).ravel())
        return np.vstack([1 - positive, positive]).T


def _vectorizer_arrays(prefix: str, vectorizer: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    names = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    arrays[f"{prefix}.vocabulary"] = np.asarray(names, dtype=str)
    arrays[f"{prefix}.idf"] = np.asarray(vectorizer.idf_)
    settings = {key: getattr(vectorizer, key) for key in _VECTORIZER_SETTINGS}
    settings["ngram_range"] = list(settings["ngram_range"])
    settings["dtype"] = np.dtype(vectorizer.dtype).name
    return settings


def _vectorizer(prefix: str, settings: dict[str, Any], arrays: Any) -> Any:
    """A fitted TfidfVectorizer from its stored settings, vocabulary and IDF weights."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    options = {key: value for key, value in settings.items() if key != "dtype"}
    options["ngram_range"] = tuple(options["ngram_range"])
    names = arrays[f"{prefix}.vocabulary"].tolist()
    vectorizer = TfidfVectorizer(vocabulary={name: index for index, name in enumerate(names)},
                                 dtype=np.dtype(settings["dtype"]).type, **options)
    vectorizer._validate_vocabulary()
    vectorizer.idf_ = arrays[f"{prefix}.idf"]
    return vectorizer


def save_ngram_model(folder: Path, features: Any, shapes: Any, classifier: Any) -> None:
    """Write the fitted n-gram model (a FeatureUnion of TfidfVectorizers, the shape vectorizer or None, the
    logistic regression) as `ngrams.json` + `ngrams.npz`: plain settings and arrays, no pickle."""
    arrays: dict[str, np.ndarray] = {}
    words = [_vectorizer_arrays(f"features.{k}", v, arrays) for k, (_, v) in enumerate(features.transformer_list)]
    stored: dict[str, Any] = {"format": NGRAM_FORMAT, "features": words,
                              "shapes": _vectorizer_arrays("shapes", shapes, arrays) if shapes is not None else None}
    arrays["classifier.coefficients"] = np.asarray(classifier.coef_[0])
    arrays["classifier.intercept"] = np.asarray(classifier.intercept_)
    np.savez_compressed(folder / NGRAM_ARRAYS, **arrays)
    (folder / NGRAM_SETTINGS).write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")


def load_ngram_model(folder: Path) -> tuple[list[Any], Any, LogisticScores]:
    """The word and character vectorizers, the shape vectorizer (or None) and the classifier, read without pickle."""
    stored = json.loads((folder / NGRAM_SETTINGS).read_text(encoding="utf-8"))
    if stored.get("format") != NGRAM_FORMAT:
        raise ConfigurationError(f"{folder / NGRAM_SETTINGS}: format {stored.get('format')!r}, not {NGRAM_FORMAT!r}")
    with np.load(folder / NGRAM_ARRAYS, allow_pickle=False) as arrays:
        features = [_vectorizer(f"features.{k}", settings, arrays) for k, settings in enumerate(stored["features"])]
        shapes = _vectorizer("shapes", stored["shapes"], arrays) if stored.get("shapes") else None
        classifier = LogisticScores(arrays["classifier.coefficients"], arrays["classifier.intercept"])
    return features, shapes, classifier


class CheckworthinessModel:
    """Scores sentences; `threshold` is the cut the model was tuned to (on held-out train sentences)."""

    def __init__(self, model_dir: Path = MODEL_DIR, minilm: bool = True) -> None:
        config_path = model_dir / "config.json"
        if not all((model_dir / name).is_file() for name in ("config.json", NGRAM_SETTINGS, NGRAM_ARRAYS)):
            raise ConfigurationError(
                f"check-worthiness model missing in {model_dir} (config.json, {NGRAM_SETTINGS}, {NGRAM_ARRAYS}): "
                "run python -m training.claims.checkworthiness"
            )
        self.config = json.loads(config_path.read_text(encoding="utf-8"))
        self.word_features, self.shapes, self.classifier = load_ngram_model(model_dir)
        self.shape_weight = float(self.config.get("shape_weight", 0.0))
        self.embedding_weight = float(self.config.get("embedding_weight") or 0.0)
        self.threshold = float(self.config.get("threshold", 0.5))
        minilm_config = self.config.get("minilm") or {}
        # minilm=False: the n-gram model alone (no MiniLM pass over every claim; the `fast` profile)
        self.minilm_weight = float(minilm_config.get("weight", 0.0)) if minilm else 0.0
        self.minilm = _minilm_scorer(model_dir, minilm_config) if self.minilm_weight > 0 else None
        # the layer of the shared MiniLM pass that the head reads (None: the MiniLM half runs its own encoder)
        self.shared_layer: int | None = self.minilm.layer if isinstance(self.minilm, TopLayersScorer) else None
        self.name = str(self.config.get("name", "checkworthiness"))
        self.version = str(self.config.get("version", "1"))
        if minilm_config and self.minilm is None:
            self.name = self.name.replace("+minilm", "")
            self.version += " (no minilm)"  # meta.models: "checkworthiness-tfidf-shape-lr-3 (no minilm)"
            # the n-gram model's own cut, chosen on held-out train before the MiniLM was added (version 2)
            self.threshold = float(self.config.get("ngram_threshold", self.threshold))

    def score(self, texts: Sequence[str], shapes: Sequence[str] | None = None,
              pieces: Sequence[np.ndarray | None] | None = None) -> np.ndarray:
        """Probability that each text is check-worthy. `shapes` (from `shape_of` on parsed tokens) saves a parse;
        `pieces` (from `claim_pieces` over the article's shared pass, at the model's `shared_layer`) saves
        encoding the texts again: a text whose pieces are None is encoded alone."""
        texts = [text if text and text.strip() else " " for text in texts]
        if not texts:
            return np.zeros(0, dtype=np.float32)
        features = self.featurize(texts, list(shapes) if shapes is not None else None)
        probabilities = self.classifier.predict_proba(features)[:, 1].astype(np.float32)
        if self.minilm is not None:
            # the average (weight chosen on held-out train) of the n-gram model and the fine-tuned MiniLM
            probabilities = (1 - self.minilm_weight) * probabilities + self.minilm_weight * self._minilm_scores(
                texts, pieces)
        return probabilities.astype(np.float32)

    def _minilm_scores(self, texts: list[str], pieces: Sequence[np.ndarray | None] | None) -> np.ndarray:
        if not isinstance(self.minilm, TopLayersScorer) or pieces is None:
            return self.minilm.score(texts)
        missing = [index for index, vectors in enumerate(pieces) if vectors is None]
        encoded = dict(zip(missing, text_pieces([texts[i] for i in missing], self.minilm.layer, self.minilm.limit)))\
            if missing else {}
        return np.array([self.minilm.score_pieces(vectors if vectors is not None else encoded[index])
                         for index, vectors in enumerate(pieces)], dtype=np.float32)

    def featurize(self, texts: list[str], shapes: list[str] | None = None):  # noqa: ANN201 - a sparse matrix
        from scipy.sparse import csr_matrix, hstack

        # the FeatureUnion training fitted: its vectorizers side by side
        parts = [hstack([vectorizer.transform(texts) for vectorizer in self.word_features]).tocsr()]
        if self.shapes is not None and self.shape_weight > 0:
            if shapes is None:
                shapes = sentence_shapes(texts)
            parts.append(self.shapes.transform(shapes) * self.shape_weight)
        if self.embedding_weight > 0:
            parts.append(csr_matrix(load_embedder().encode(texts) * self.embedding_weight))
        return hstack(parts).tocsr() if len(parts) > 1 else parts[0]


def _minilm_scorer(model_dir: Path, settings: dict[str, Any]) -> TopLayersScorer | MinilmScorer:
    """The MiniLM half of the average: the head over the shared pass when the config names its layer (its file
    checked against the config's SHA-256), else a whole fine-tuned MiniLM classifier."""
    path = model_dir / settings["file"]
    if not path.is_file():
        raise ConfigurationError(f"{path}: the check-worthiness MiniLM file is missing")
    if settings.get("shared_layer"):
        if not settings.get("sha256"):
            raise ConfigurationError(f"{model_dir / 'config.json'}: the MiniLM head has no sha256")
        check_sha256(path, str(settings["sha256"]), f"the check-worthiness head of {model_dir / 'config.json'}")
        return TopLayersScorer(path, int(settings["shared_layer"]), int(settings.get("max_pieces", MAX_PIECES)))
    return MinilmScorer(path, int(settings.get("max_len", 96)))


@functools.lru_cache(maxsize=2)
def load_checkworthiness_model(model_dir: Path = MODEL_DIR, minilm: bool = True) -> CheckworthinessModel:
    """The model, loaded once per process; `minilm=False` leaves out the fine-tuned MiniLM half."""
    return CheckworthinessModel(model_dir, minilm)
