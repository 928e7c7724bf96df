"""Claim clustering speed: the leader index (faiss HNSW) against exact leader clustering in NumPy and against
datasketch's pure-Python HNSW (the index used before), on the same synthetic claim vectors, in one run.

Vectors: `--claims` unit vectors in 384 dimensions (MiniLM's size) drawn around `--topics` random centres, so
that claims of one topic have cosine ~0.85-0.95 to each other and ~0 to other topics; they are placed in order,
each joining the nearest leader at cosine >= 0.8 or leading a new cluster, as `update_clusters` does.
Reports claims/s for each and the agreement with the exact result (adjusted Rand index).

    python bench/clusters.py --claims 20000 --topics 2000
    python bench/clusters.py --claims 60000 --topics 30000   # most claims new, as in real corpora
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sourcetrace.corpus.clusters import THRESHOLD, LeaderIndex  # noqa: E402


def synthetic_vectors(claims: int, topics: int, dimensions: int = 384, seed: int = 7) -> np.ndarray:
    generator = np.random.default_rng(seed)
    centres = generator.standard_normal((topics, dimensions)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = generator.standard_normal((claims, dimensions)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = centres[generator.integers(0, topics, claims)] + 0.3 * noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_leaders(vectors: np.ndarray, threshold: float) -> list[int]:
    leaders = np.empty_like(vectors)  # preallocated: a fair baseline copies nothing per new leader
    count = 0
    labels = []
    for vector in vectors:
        if count:
            similarities = leaders[:count] @ vector
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                labels.append(best)
                continue
        leaders[count] = vector
        count += 1
        labels.append(count - 1)
    return labels


def datasketch_leaders(vectors: np.ndarray, threshold: float) -> list[int]:
    from datasketch import HNSW

    index = HNSW(distance_func=lambda a, b: 1.0 - float(np.dot(a, b)), m=16, ef_construction=64)
    labels = []
    for position, vector in enumerate(vectors):
        if len(index):
            (nearest, distance), *_ = index.query(vector, k=1, ef=48)
            if 1.0 - distance >= threshold:
                labels.append(nearest)
                continue
        index.insert(position, vector)
        labels.append(position)
    return labels


def faiss_leaders(vectors: np.ndarray, threshold: float) -> list[str]:
    index = LeaderIndex(threshold)
    return [index.assign(str(position), vector)[0] for position, vector in enumerate(vectors)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--datasketch-claims", type=int, default=5000,
                        help="datasketch is slow: it clusters only the first N claims (0: skip it)")
    args = parser.parse_args()
    from sklearn.metrics import adjusted_rand_score

    vectors = synthetic_vectors(args.claims, args.topics)
    results: dict = {"claims": args.claims, "topics": args.topics}
    started = time.perf_counter()
    exact = exact_leaders(vectors, THRESHOLD)
    exact_rate = args.claims / (time.perf_counter() - started)
    started = time.perf_counter()
    approximate = faiss_leaders(vectors, THRESHOLD)
    faiss_rate = args.claims / (time.perf_counter() - started)
    results["exact_numpy_claims_per_s"] = round(exact_rate)
    results["faiss_hnsw"] = {"claims_per_s": round(faiss_rate), "over_exact": round(faiss_rate / exact_rate, 2),
                             "clusters": len(set(approximate)), "exact_clusters": len(set(exact)),
                             "adjusted_rand_vs_exact": round(adjusted_rand_score(exact, approximate), 4)}
    if args.datasketch_claims:
        count = min(args.datasketch_claims, args.claims)
        started = time.perf_counter()
        old = datasketch_leaders(vectors[:count], THRESHOLD)
        old_rate = count / (time.perf_counter() - started)
        results["datasketch_hnsw_first_claims"] = {
            "claims": count, "claims_per_s": round(old_rate), "faiss_over_datasketch": round(faiss_rate / old_rate, 1),
            "adjusted_rand_vs_exact": round(adjusted_rand_score(exact[:count], old), 4)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
