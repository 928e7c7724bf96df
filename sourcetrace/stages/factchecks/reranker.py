"""Cross-encoder re-ranking of the best fact-check candidates: MiniLM reads the claim and the fact-check together.

The logistic-regression scorer (`retrieval.MatchScorer`) ranks the candidates from BM25 and MiniLM cosines; its
`top` best go through a cross-encoder (all-MiniLM-L6-v2 fine-tuned on CheckThat! 2020 Task 2 train pairs,
`python -m training.factchecks.reranker`), and a second logistic regression turns (scorer logit,
cross-encoder logit, cross-encoder gap to the pool's best) into the probability that the fact-check is about
the same claim. Files: `sourcetrace/data/models/factcheck-reranker/` (`model.onnx`, int8 weights;
`combine.json`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sourcetrace._ml.onnx import VOCAB_PATH, onnx_session, wordpiece_tokenizer
from sourcetrace._ml.weights import MODELS_DIR

RERANKER_DIR = MODELS_DIR / "factcheck-reranker"
# Claim + fact-check in word pieces; the longer of the two is cut first (tweets and claims are short).
MAX_TOKENS = 96
COMBINE_FEATURES = ("matcher_logit", "reranker_logit", "reranker_gap")


class CrossEncoder:
    """One relevance logit per (query, document) pair, from an int8 ONNX BERT sequence classifier."""

    def __init__(self, model_path: Path, vocab_path: Path = VOCAB_PATH, max_tokens: int = MAX_TOKENS,
                 threads: int | None = None) -> None:
        self.tokenizer = wordpiece_tokenizer(max_tokens, vocab_path)
        self.session = onnx_session(model_path, threads)

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        out = np.zeros(len(pairs), dtype=np.float32)
        for start in range(0, len(pairs), batch_size):
            encodings = self.tokenizer.encode_batch([(q or " ", d or " ") for q, d in pairs[start:start + batch_size]])
            feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
            (logits,) = self.session.run(["logits"], feed)
            out[start:start + len(encodings)] = logits[:, 0]
        return out


class Reranker:
    """The cross-encoder plus the weights that combine its logit with the first scorer's."""

    def __init__(self, encoder: CrossEncoder, coef: Sequence[float], intercept: float, top: int) -> None:
        self.encoder = encoder
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.top = int(top)

    @classmethod
    def load(cls, folder: Path = RERANKER_DIR) -> Reranker:
        data = json.loads((folder / "combine.json").read_text(encoding="utf-8"))
        if tuple(data["features"]) != COMBINE_FEATURES:
            raise ValueError(f"{folder}: weights are for {data['features']}, expected {COMBINE_FEATURES}")
        return cls(CrossEncoder(folder / "model.onnx"), data["coef"], data["intercept"], data["top"])

    def probability(self, query: str, documents: Sequence[str], matcher_probability: np.ndarray) -> np.ndarray:
        """Probability per document (the `top` best of the first scorer, best first)."""
        logits = self.encoder.logits([(query, d) for d in documents])
        return combine(self.coef, self.intercept, matcher_probability, logits)


def combine(coef: np.ndarray, intercept: float, matcher_probability: np.ndarray, reranker_logits: np.ndarray
            ) -> np.ndarray:
    x = combine_features(matcher_probability, reranker_logits)
    return 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))


def combine_features(matcher_probability: np.ndarray, reranker_logits: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(matcher_probability, np.float64), 1e-6, 1 - 1e-6)
    logits = np.asarray(reranker_logits, np.float64)
    return np.column_stack([np.log(p / (1 - p)), logits, logits - logits.max()])


@functools.lru_cache(maxsize=1)
def load_reranker() -> Reranker | None:
    """The packaged re-ranker, or None where the package has none (the first scorer alone then ranks)."""
    return Reranker.load() if (RERANKER_DIR / "combine.json").exists() else None
