"""Check-worthiness scores: how much a sentence deserves a fact-checker's attention, 0..1.

The model (trained by `python -m sourcetrace.train.checkworthiness` on CLEF CheckThat! 2024 Task 1 train only)
is a logistic regression over TF-IDF word and character n-grams joined with all-MiniLM-L6-v2 sentence
vectors (the torch-free int8 ONNX embedder of `sourcetrace.embeddings`). Weights and their card live in
`sourcetrace/data/models/checkworthiness/`. Loading is once per process (`load_checkworthiness_model`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sourcetrace.errors import ConfigurationError

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / "checkworthiness"


class CheckworthinessModel:
    """Scores sentences; `threshold` is the cut the model was tuned to (on held-out train sentences)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        config_path = model_dir / "config.json"
        weights_path = model_dir / "model.joblib"
        if not config_path.is_file() or not weights_path.is_file():
            raise ConfigurationError(
                f"check-worthiness model missing in {model_dir}: run python -m sourcetrace.train.checkworthiness"
            )
        import joblib

        self.config = json.loads(config_path.read_text(encoding="utf-8"))
        bundle = joblib.load(weights_path)
        self.features = bundle["features"]
        self.classifier = bundle["classifier"]
        self.embedding_weight = float(self.config.get("embedding_weight", 0.0))
        self.threshold = float(self.config.get("threshold", 0.5))
        self.name = str(self.config.get("name", "checkworthiness"))
        self.version = str(self.config.get("version", "1"))
        self._embedder = None

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            from sourcetrace.embeddings import load_embedder

            self._embedder = load_embedder()
        return self._embedder.encode(texts)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is check-worthy."""
        texts = [text or " " for text in texts]
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return self.classifier.predict_proba(self.featurize(texts))[:, 1].astype(np.float32)

    def featurize(self, texts: list[str], embeddings: np.ndarray | None = None):  # noqa: ANN201 - sparse matrix
        from scipy.sparse import csr_matrix, hstack

        sparse = self.features.transform(texts)
        if self.embedding_weight <= 0:
            return sparse
        if embeddings is None:
            embeddings = self._embed(texts)
        return hstack([sparse, csr_matrix(embeddings * self.embedding_weight)]).tocsr()


@functools.lru_cache(maxsize=2)
def load_checkworthiness_model(model_dir: Path = MODEL_DIR) -> CheckworthinessModel:
    """The model, loaded once per process."""
    return CheckworthinessModel(model_dir)
