"""Exact and near-duplicate articles (syndicated copies, light rewrites), linked to the first copy.

Each worker computes, with the analysis, a SHA-1 of the normalised text and a MinHash signature over word
5-shingles (numpy; datasketch's LSH indexes them). After the tasks, articles are taken in order of publication
and looked up in a MinHash LSH index: an article whose text hashes like an earlier one, or whose estimated
Jaccard similarity to an earlier one is at least `threshold`, is a duplicate of that earlier article's first
copy. Counting a claim's independent sources then skips the copies.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pyarrow as pa
from datasketch import LeanMinHash, MinHashLSH

from sourcetrace.corpus.backends.tables import DUPLICATES

NUM_PERM = 128
SEED = 1
SHINGLE_WORDS = 5
THRESHOLD = 0.7
SCHEME = "affine32"  # the label datasketch 2 wants on signatures it did not compute (it compares values only)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalised_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_sha1(text: str) -> str:
    return hashlib.sha1(" ".join(normalised_words(text)).encode("utf-8")).hexdigest()


_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_rng = np.random.RandomState(SEED)
# Universal hashing h(x) = (a*x + b) mod p per permutation, as datasketch does; drawn once, with a, b < 2^32 so
# that a*x + b fits 64 bits for 32-bit x. Vectorised per article, it is ~20x faster than datasketch's MinHash.
_A = _rng.randint(1, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B = _rng.randint(0, 1 << 32, size=NUM_PERM, dtype=np.uint64)


def shingles(text: str) -> list[str]:
    words = normalised_words(text)
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)]
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def minhash_values(text: str) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint64 values) of the text's word 5-shingles."""
    hashed = np.fromiter(
        (int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest()[:4], "little") for s in set(shingles(text))),
        dtype=np.uint64,
    )
    return (((np.outer(hashed, _A) + _B) % _PRIME) & _MAX_HASH).min(axis=0)


def signature_bytes(text: str) -> bytes:
    """The MinHash of `text` as bytes, for the `articles.minhash` column."""
    return minhash_values(text).astype(np.uint64).tobytes()


def _from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME)


def find_duplicates(articles: list[dict[str, Any]], threshold: float = THRESHOLD) -> list[dict[str, Any]]:
    """Duplicates among `articles` (dicts with article_id, published, content_sha1, minhash), in the order
    given (earliest first): one row per duplicate naming the first copy it repeats."""
    # LSH finds candidates on an S-curve around its threshold; a lower one misses fewer true copies, and the
    # estimated Jaccard below then decides.
    lsh = MinHashLSH(threshold=max(0.3, threshold - 0.2), num_perm=NUM_PERM)
    first_by_hash: dict[str, str] = {}
    signatures: dict[str, LeanMinHash] = {}
    root: dict[str, str] = {}
    duplicates: list[dict[str, Any]] = []
    for article in articles:
        article_id = article["article_id"]
        digest = article.get("content_sha1")
        if digest and digest in first_by_hash:
            original = first_by_hash[digest]
            root[article_id] = original
            duplicates.append({"article_id": article_id, "duplicate_of": original, "similarity": 1.0, "exact": True})
            continue
        if digest:
            first_by_hash[digest] = article_id
        if not article.get("minhash"):
            continue
        signature = _from_bytes(article["minhash"])
        best, best_score = None, 0.0
        for candidate in lsh.query(signature):
            score = float(signature.jaccard(signatures[candidate]))
            if score >= threshold and (score > best_score or (score == best_score and candidate < (best or ""))):
                best, best_score = candidate, score
        if best is not None:
            original = root.get(best, best)
            root[article_id] = original
            duplicates.append(
                {"article_id": article_id, "duplicate_of": original, "similarity": round(best_score, 4), "exact": False}
            )
            continue
        # Only first copies go into the index: a later copy of a copy still finds the original's text.
        signatures[article_id] = signature
        lsh.insert(article_id, signature)
    return duplicates


def update_duplicates(backend: Any, threshold: float = THRESHOLD) -> int:
    """Recompute the `duplicates` table over every stored article; returns how many duplicates there are."""
    table = backend.read(
        "SELECT article_id, published, content_sha1, minhash FROM articles "
        "ORDER BY published NULLS LAST, article_id"
    )
    duplicates = find_duplicates(table.to_pylist(), threshold)
    backend.write_derived("duplicates", pa.Table.from_pylist(duplicates, schema=DUPLICATES))
    return len(duplicates)
