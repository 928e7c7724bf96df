"""Train the check-worthiness model on CLEF CheckThat! 2024 Task 1 English train (ClaimBuster sentences).

    python -m training.claims.checkworthiness --data ../shared/data/checkworthy \
        --out sourcetrace/data/models/checkworthiness [--cache DIR]

Model: a logistic regression over TF-IDF word 1-2-grams and character 2-5-grams, joined with TF-IDF 1-4-grams
of each sentence's shape (POS tags, entity labels inside entities: `sourcetrace.stages.claims.checkworthiness`) scaled
by a weight. Only `CT24_checkworthy_english_train.tsv` is read. A fixed tenth of it, chosen by a hash of the
sentence id (listed in `heldout_ids.txt`), is held out to choose C, the shape weight and the decision threshold;
the final model is then refit on all of train with those choices. The dev file is never read here; measure with
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

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.evaluate.checkworthiness import CheckworthySentence, positive_class_scores, read_checkworthy_tsv
from sourcetrace.stages.claims.checkworthiness import save_ngram_model, sentence_shapes

C_GRID = (1.0, 3.0, 10.0)
SHAPE_WEIGHTS = (0.0, 0.5, 1.0)
EMBEDDING_WEIGHTS = (0.0,)


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


def shape_features():  # noqa: ANN201 - an unfitted TfidfVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 4), sublinear_tf=True, min_df=3, lowercase=False, token_pattern=r"\S+",
                           dtype=np.float32)


def shapes_of(rows: list[CheckworthySentence], cache: Path | None) -> list[str]:
    """Sentence shapes, reused from `cache` (a JSON file keyed by a hash of the texts) when there."""
    key = hashlib.sha1("\x1f".join(row.text for row in rows).encode("utf-8")).hexdigest()[:16]
    path = cache / f"shapes-{key}.json" if cache is not None else None
    if path is not None and path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    shapes = sentence_shapes([row.text for row in rows])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(shapes), encoding="utf-8")
    return shapes


def embeddings_of(rows: list[CheckworthySentence], cache: Path | None) -> np.ndarray:
    """MiniLM sentence vectors (`sourcetrace._ml.embedder`), reused from `cache` (.npy keyed by the texts)."""
    key = hashlib.sha1("\x1f".join(row.text for row in rows).encode("utf-8")).hexdigest()[:16]
    path = cache / f"minilm-{key}.npy" if cache is not None else None
    if path is not None and path.is_file():
        return np.load(path)

    vectors = load_embedder().encode([row.text for row in rows])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def best_threshold(labels: list[int], probabilities: np.ndarray) -> tuple[float, float]:
    """The threshold with the best positive-class F1, and that F1."""
    best = (0.5, -1.0)
    for threshold in np.arange(0.10, 0.91, 0.01):
        f1 = positive_class_scores(labels, [int(p >= threshold) for p in probabilities]).f1
        if f1 > best[1] + 1e-9:
            best = (float(round(threshold, 2)), f1)
    return best


def _join(words, shapes, weight: float, vectors: np.ndarray | None = None, vector_weight: float = 0.0):  # noqa: ANN001, ANN202
    from scipy.sparse import csr_matrix, hstack

    parts = [words]
    if weight > 0:
        parts.append(shapes * weight)
    if vector_weight > 0:
        parts.append(csr_matrix(vectors * vector_weight))
    return hstack(parts).tocsr() if len(parts) > 1 else words


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the CT24 train TSV")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep the sentence shapes between runs")
    parser.add_argument("--c", type=float, nargs="+", default=list(C_GRID), help="C values to try")
    parser.add_argument("--shape-weights", type=float, nargs="+", default=list(SHAPE_WEIGHTS),
                        help="weights of the shape n-grams to try (0 alone: words and characters only)")
    parser.add_argument("--embedding-weights", type=float, nargs="+", default=list(EMBEDDING_WEIGHTS),
                        help="weights of the MiniLM sentence vector to try (0 alone: no embeddings)")
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.linear_model import LogisticRegression

    started = time.time()
    rows = read_checkworthy_tsv(args.data / "CT24_checkworthy_english_train.tsv")
    heldout_mask = np.array([is_heldout(row.sentence_id) for row in rows])
    fit_index, heldout_index = np.where(~heldout_mask)[0], np.where(heldout_mask)[0]
    labels = np.array([row.label for row in rows])
    print(f"train {len(fit_index)} sentences ({labels[fit_index].sum()} Yes), held out {len(heldout_index)}",
          flush=True)
    texts = [row.text for row in rows]
    shapes = shapes_of(rows, args.cache) if max(args.shape_weights) > 0 else [""] * len(rows)
    print(f"shapes: {time.time() - started:.0f}s", flush=True)
    vectors = embeddings_of(rows, args.cache) if max(args.embedding_weights) > 0 else np.zeros((len(rows), 0))
    print(f"embeddings: {time.time() - started:.0f}s", flush=True)

    words, shape_vectorizer = text_features(), shape_features()
    fit_words = words.fit_transform([texts[i] for i in fit_index])
    heldout_words = words.transform([texts[i] for i in heldout_index])
    use_shapes = max(args.shape_weights) > 0
    if use_shapes:
        fit_shapes = shape_vectorizer.fit_transform([shapes[i] for i in fit_index])
        heldout_shapes = shape_vectorizer.transform([shapes[i] for i in heldout_index])
    else:
        fit_shapes = heldout_shapes = None
    best: dict = {"f1": -1.0}
    for c, weight, vector_weight in itertools.product(args.c, args.shape_weights, args.embedding_weights):
        classifier = LogisticRegression(C=c, max_iter=3000)
        classifier.fit(_join(fit_words, fit_shapes, weight, vectors[fit_index], vector_weight), labels[fit_index])
        probabilities = classifier.predict_proba(
            _join(heldout_words, heldout_shapes, weight, vectors[heldout_index], vector_weight))[:, 1]
        threshold, f1 = best_threshold(list(labels[heldout_index]), probabilities)
        print(f"C={c:g} shape_weight={weight:g} embedding_weight={vector_weight:g}: held-out F1 {f1:.4f} "
              f"at threshold {threshold:.2f} ({time.time() - started:.0f}s)", flush=True)
        if f1 > best["f1"]:
            best = {"f1": f1, "C": c, "shape_weight": weight, "embedding_weight": vector_weight,
                    "threshold": threshold}

    # refit on all of train with the chosen settings
    words = text_features()
    all_words = words.fit_transform(texts)
    if best["shape_weight"] > 0:
        shape_vectorizer = shape_features()
        all_shapes = shape_vectorizer.fit_transform(shapes)
    else:
        shape_vectorizer, all_shapes = None, None
    classifier = LogisticRegression(C=best["C"], max_iter=3000)
    classifier.fit(_join(all_words, all_shapes, best["shape_weight"], vectors, best["embedding_weight"]), labels)
    args.out.mkdir(parents=True, exist_ok=True)
    save_ngram_model(args.out, words, shape_vectorizer, classifier)
    (args.out / "heldout_ids.txt").write_text("".join(f"{rows[i].sentence_id}\n" for i in heldout_index),
                                              encoding="utf-8")
    config = {
        "name": "checkworthiness-tfidf-shape-lr",
        "version": "2",
        "features": "TF-IDF word 1-2-grams + char_wb 2-5-grams (min_df 2, sublinear tf) "
                    "+ shape (POS/entity-label) 1-4-grams x shape_weight",
        "C": best["C"],
        "shape_weight": best["shape_weight"],
        "embedding_weight": best["embedding_weight"],
        "embedder": "all-MiniLM-L6-v2-onnx-int8 (sourcetrace._ml.embedder)" if best["embedding_weight"] > 0 else None,
        "threshold": best["threshold"],
        "heldout_f1": round(best["f1"], 4),
        "train_sentences": len(rows),
        "heldout_sentences": len(heldout_index),
        "scikit_learn": sklearn.__version__,
        "training_seconds": round(time.time() - started),
    }
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(config, indent=2), flush=True)


if __name__ == "__main__":
    main()
