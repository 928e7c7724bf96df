"""Train the check-worthiness model on CLEF CheckThat! 2024 Task 1 English train (ClaimBuster sentences).

    python -m sourcetrace.train.checkworthiness                 # reads ../shared/data/checkworthy, ~minutes

Model: a logistic regression over TF-IDF word 1-2-grams and character 2-5-grams, joined with the
all-MiniLM-L6-v2 sentence vector of each sentence (int8 ONNX, `sourcetrace.embeddings`) scaled by a weight.
Only `CT24_checkworthy_english_train.tsv` is read. A fixed tenth of it, chosen by a hash of the sentence id
(listed in `heldout_ids.txt`), is held out to choose C, the embedding weight and the decision threshold; the
final model is then refit on all of train with those choices. The dev file is never read here: measure with
`python -m sourcetrace evaluate checkworthiness --gold ../shared/data/checkworthy/CT24_checkworthy_english_dev.tsv`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np

from sourcetrace.evaluate.checkworthiness import CheckworthySentence, positive_class_scores, read_checkworthy_tsv

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy"
DEFAULT_OUT = REPO / "sourcetrace" / "data" / "models" / "checkworthiness"
C_GRID = (1.0, 3.0, 10.0)
EMBEDDING_WEIGHTS = (0.0, 1.0, 2.0, 4.0)


def is_heldout(sentence_id: str, share: int = 10) -> bool:
    """One train sentence in `share` is held out, by a hash of its id: the same split on every machine."""
    return int(hashlib.sha1(sentence_id.encode("utf-8")).hexdigest(), 16) % share == 0


def text_features():  # noqa: ANN201 - an unfitted sklearn FeatureUnion
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32),
    )


def embed(rows: list[CheckworthySentence], cache: Path | None) -> np.ndarray:
    """MiniLM vectors of the sentences, reused from `cache` (an .npz keyed by a hash of the texts) if there."""
    key = hashlib.sha1("\x1f".join(row.text for row in rows).encode("utf-8")).hexdigest()[:16]
    if cache is not None:
        path = cache / f"minilm-{key}.npy"
        if path.is_file():
            return np.load(path)
    from sourcetrace.embeddings import load_embedder

    vectors = load_embedder().encode([row.text for row in rows])
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"minilm-{key}.npy", vectors)
    return vectors


def best_threshold(labels: list[int], probabilities: np.ndarray) -> tuple[float, float]:
    """The threshold with the best positive-class F1, and that F1."""
    best = (0.5, -1.0)
    for threshold in np.arange(0.10, 0.91, 0.01):
        f1 = positive_class_scores(labels, [int(p >= threshold) for p in probabilities]).f1
        if f1 > best[1] + 1e-9:
            best = (float(round(threshold, 2)), f1)
    return best


def _join(sparse, vectors: np.ndarray, weight: float):  # noqa: ANN001, ANN202
    from scipy.sparse import csr_matrix, hstack

    if weight <= 0:
        return sparse
    return hstack([sparse, csr_matrix(vectors * weight)]).tocsr()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the CT24 train TSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep the MiniLM vectors between runs")
    parser.add_argument("--c", type=float, nargs="+", default=list(C_GRID), help="C values to try")
    parser.add_argument("--embedding-weights", type=float, nargs="+", default=list(EMBEDDING_WEIGHTS),
                        help="weights of the MiniLM vector to try (0 alone: TF-IDF only, no embedding)")
    args = parser.parse_args(argv)

    import joblib
    from sklearn.linear_model import LogisticRegression

    started = time.time()
    rows = read_checkworthy_tsv(args.data / "CT24_checkworthy_english_train.tsv")
    heldout = [row for row in rows if is_heldout(row.sentence_id)]
    fit = [row for row in rows if not is_heldout(row.sentence_id)]
    print(f"train {len(fit)} sentences ({sum(r.label for r in fit)} Yes), held out {len(heldout)}", flush=True)
    if max(args.embedding_weights) > 0:
        vectors = embed(rows, args.cache)
    else:
        vectors = np.zeros((len(rows), 0), dtype=np.float32)
    print(f"embedded {len(rows)} sentences: {time.time() - started:.0f}s", flush=True)
    heldout_mask = np.array([is_heldout(row.sentence_id) for row in rows])

    features = text_features()
    fit_sparse = features.fit_transform([row.text for row in fit])
    heldout_sparse = features.transform([row.text for row in heldout])
    fit_labels = [row.label for row in fit]
    heldout_labels = [row.label for row in heldout]
    best: dict = {"f1": -1.0}
    for c, weight in itertools.product(args.c, args.embedding_weights):
        classifier = LogisticRegression(C=c, max_iter=3000)
        classifier.fit(_join(fit_sparse, vectors[~heldout_mask], weight), fit_labels)
        probabilities = classifier.predict_proba(_join(heldout_sparse, vectors[heldout_mask], weight))[:, 1]
        threshold, f1 = best_threshold(heldout_labels, probabilities)
        print(f"C={c:g} embedding_weight={weight:g}: held-out F1 {f1:.4f} at threshold {threshold:.2f}", flush=True)
        if f1 > best["f1"]:
            best = {"f1": f1, "C": c, "embedding_weight": weight, "threshold": threshold}

    # refit on all of train with the chosen settings
    features = text_features()
    sparse = features.fit_transform([row.text for row in rows])
    classifier = LogisticRegression(C=best["C"], max_iter=3000)
    classifier.fit(_join(sparse, vectors, best["embedding_weight"]), [row.label for row in rows])
    args.out.mkdir(parents=True, exist_ok=True)
    joblib.dump({"features": features, "classifier": classifier}, args.out / "model.joblib", compress=3)
    (args.out / "heldout_ids.txt").write_text("".join(f"{r.sentence_id}\n" for r in heldout), encoding="utf-8")
    import sklearn

    config = {
        "name": "checkworthiness-tfidf-minilm-lr",
        "version": "1",
        "features": "TF-IDF word 1-2-grams + char_wb 2-5-grams (min_df 2, sublinear tf) + MiniLM vector x weight",
        "embedder": "all-MiniLM-L6-v2-onnx-int8 (sourcetrace.embeddings)",
        "C": best["C"],
        "embedding_weight": best["embedding_weight"],
        "threshold": best["threshold"],
        "heldout_f1": round(best["f1"], 4),
        "train_sentences": len(rows),
        "heldout_sentences": len(heldout),
        "scikit_learn": sklearn.__version__,
        "training_seconds": round(time.time() - started),
    }
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(config, indent=2), flush=True)


if __name__ == "__main__":
    main()
