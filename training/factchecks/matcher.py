"""Train the fact-check match scorer: a logistic regression over BM25 + MiniLM candidate features.

Trained on the CheckThat! 2020 Task 2 TRAIN queries only (the dev queries are what we report):

    python -m training.factchecks.matcher \\
        --data ../shared/data/factchecks/clef2020-task2 --out sourcetrace/data/models/factcheck-matcher/weights.json

Every candidate (top 30 by BM25 and by cosine, top 15 by claim cosine and cleaned-tweet BM25) of every train
query is one example; label 1 when
the qrels mark it relevant; each query also appears with its verified claim left out (all candidates 0).
The output is a probability, which is what the user's threshold is compared with.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from sourcetrace.datasets.checkthat import read_qrels, read_queries
from sourcetrace.evaluate.factcheck_matching import build_clef_index
from sourcetrace.stages.factchecks.retrieval import FEATURES, clean_query


def train(data: Path, out: Path, db: Path | None = None, c: float = 1.0) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    started = time.time()
    index, vclaim_ids, embedder = build_clef_index(data / "verified_claims.docs.tsv", db, progress=True,
                                                  with_scorer=False)
    queries = read_queries(data / "train" / "tweets.queries.tsv")
    qrels = read_qrels(data / "train" / "tweet-vclaim-pairs.qrels")
    ids = [q for q in queries if q in qrels]
    texts = [queries[q] for q in ids]
    vectors = embedder.encode([clean_query(t) for t in texts])
    # A verified claim stored twice is one candidate, its older copy (`retrieval.duplicate_of`): that is the
    # right one where the qrels name the younger.
    row_of = {vclaim: row for row, vclaim in enumerate(vclaim_ids)}
    gold = [{int(index.original[row_of[v]]) for v in qrels[q] if v in row_of} for q in ids]
    xs, ys = [], []
    for right, (pool, features) in zip(gold, index.features(texts, vectors)):
        xs.append(features)
        ys.append(np.isin(pool, list(right)).astype(np.int64))
    # Every query once more with its verified claim(s) left out of the collection: all candidates are wrong,
    # so the score learns what "no match here" looks like (CheckThat! has a match for every query; news does not).
    for pool, features in index.features(texts, vectors, exclude=gold):
        xs.append(features)
        ys.append(np.zeros(len(pool), dtype=np.int64))
    x, y = np.vstack(xs), np.concatenate(ys)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(x), y)
    weights = {
        "features": list(FEATURES),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "trained_on": "CheckThat! 2020 Task 2 train queries (clef2020-task2/train)",
        "examples": int(len(y)),
        "positives": int(y.sum()),
        "seconds": round(time.time() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(weights, indent=2) + "\n", encoding="utf-8")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the clef2020-task2 folder")
    parser.add_argument("--out", type=Path, required=True, help="the weights.json to write")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    weights = train(args.data, args.out, args.db, args.c)
    print(json.dumps({k: v for k, v in weights.items() if k not in ("mean", "scale")}, indent=2))


if __name__ == "__main__":
    main()
