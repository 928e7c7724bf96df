"""Finding fact-checks that match a claim: BM25 plus MiniLM embeddings, re-ranked by a small learned scorer.

1. Candidates: the top `candidates` fact-checks by BM25 (over claim + title) and by cosine similarity of MiniLM
   vectors, plus half as many by claim cosine and by BM25 of the cleaned query.
2. Each candidate gets features (cosines to the fact-check's claim and title; BM25 of the raw and the cleaned
   query, over claim + title and over each alone; ranks in each list; shared numbers) and a logistic-regression
   score: the estimated probability that the fact-check is about the same claim. Weights ship in
   `sourcetrace/data/models/factcheck-matcher/weights.json`, trained on the CheckThat! 2020 Task 2 TRAIN queries
   only (`python -m training.factchecks.matcher`).
3. The 10 best go through a cross-encoder (`reranker.py`), which reads the claim and the fact-check together;
   a second small logistic regression combines both into the final probability and order.
4. Matches below `threshold` are dropped: the score is a probability, so the threshold reads as one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from sourcetrace._ml.weights import MODELS_DIR
from sourcetrace.stages.factchecks.reranker import Reranker

WEIGHTS_PATH = MODELS_DIR / "factcheck-matcher" / "weights.json"
MIN_COSINE = 0.3
FEATURES = (
    "cos_claim", "cos_title", "cos_best", "bm25_relative", "bm25_log", "dense_rr", "bm25_rr", "cos_margin",
    # BM25 of the cleaned query, and of the raw query over the claim alone and over the title alone
    "bm25_clean_relative", "bm25_clean_log", "bm25_clean_rr", "bm25_claim_relative", "bm25_claim_log",
    "bm25_claim_rr", "bm25_title_relative", "bm25_title_log", "bm25_title_rr",
    "cos_claim_rr", "cos_claim_gap", "cos_title_rr", "cos_title_gap", "numbers_shared", "numbers_unshared",
)
# Not features: the share of words or names in common and the cosine's z-score over the collection gained little
# in cross-validation on train and, being collinear with BM25, got negative weights that sank exact matches in a
# small collection.
_NUMBER = re.compile(r"\b\d[\d,.]*\b")

_STOPWORDS = frozenset(
    "a an and are as at be been but by for from has have he her his i in is it its of on or she that the their "
    "they this to was were will with you your we our not no so if than then there what which who whom why how "
    "all any can could do does did just about into over after before more most such only own same too very s t "
    "don should now rt amp via".split()
)
_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+|www\.\S+")
# The signature of an embedded tweet: "— Name (@handle) January 6, 2020"
_TWEET_SIGNATURE = re.compile(r"\s*[—–-]\s*[^—–\n]{0,80}\(@\w+\)\s*\w+\s+\d{1,2},\s+\d{4}\s*$")


# Where a run of letters changes case or meets digits: #TrumpParadeFail, @LindseyGrahamSC, #Trump2020
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_TAG = re.compile(r"[#@](\w+)")


def split_tag(tag: str) -> str:
    """A hashtag's or handle's words: 'RevolutionaryWarAirports' -> 'Revolutionary War Airports'."""
    return _CAMEL_CASE.sub(" ", tag)


def clean_query(text: str) -> str:
    """Links and an embedded tweet's signature say nothing about the claim: drop them. Hashtags and handles
    become their words ('@SpeakerPelosi' -> 'Speaker Pelosi'), which is how fact-checks name things."""
    text = _TWEET_SIGNATURE.sub("", text)
    text = _URL.sub(" ", text)
    return " ".join(_TAG.sub(lambda m: " " + split_tag(m.group(1)) + " ", text).split())


def with_tag_words(text: str) -> str:
    """The raw text, then the words of its hashtags and handles (BM25 reads both: the handle itself is a name
    some fact-checks spell, its words match the others)."""
    words = [split_tag(tag) for tag in _TAG.findall(_URL.sub(" ", text))]
    return f"{text} {' '.join(words)}" if words else text


def tokenize(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS and len(w) > 1]


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _same_text_key(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def _natural_key(text: str) -> str:
    """Numbers compare by value ("381" before "5657"): digits zero-padded."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), text)


def duplicate_of(rows: Sequence[dict]) -> list[int]:
    """Per store row, the row that represents it: itself, or the first copy of the same fact-check.

    A collection can hold one fact-check twice, its claim and title differing only in quotes or punctuation
    (CheckThat! 2020: 180 pairs among 10,375 verified claims, e.g. 'dark white' and "dark white"). Listing both
    wastes a place of the top k; the copy dated first (then the lowest source id: CheckThat! marks the older
    record relevant in 184 of 189 train queries that have a copy) stands for both. Only within a collection.
    """
    keys = [(row.get("collection") or "", _same_text_key(f"{row['claim']} {row.get('title') or ''}")) for row in rows]
    order = sorted(range(len(rows)), key=lambda i: (rows[i].get("date") or "~", _natural_key(
        str((rows[i].get("extra") or {}).get("vclaim_id") or rows[i].get("id") or ""))))
    first: dict[tuple[str, str], int] = {}
    for i in order:
        first.setdefault(keys[i], i)
    return [first[key] for key in keys]


def _products(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(queries, rows of `matrix`): each query's dot products with every row, computed for that query alone."""
    out = np.empty((len(vectors), matrix.shape[0]), dtype=np.result_type(matrix, vectors))
    for row, vector in enumerate(vectors):
        out[row] = matrix @ vector
    return out


def _ranks(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-scores)
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(len(scores))
    return order, rank


class BM25:
    """Okapi BM25 over a sparse term matrix (fast for thousands of documents)."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vectorizer = CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None)
        counts = self.vectorizer.fit_transform(documents).tocsr().astype(np.float32)
        n_docs = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        average = lengths.mean() if n_docs else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0).astype(np.float32)
        rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        tf = counts.data
        norm = k1 * (1 - b + b * lengths[rows] / max(average, 1e-9))
        weighted = counts.copy()
        weighted.data = idf[counts.indices] * tf * (k1 + 1) / (tf + norm)
        self.matrix = weighted.T.tocsr()  # terms x docs

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """BM25 of every document for every query: shape (queries, documents)."""
        q = self.vectorizer.transform(queries)
        q.data = np.ones_like(q.data, dtype=np.float32)  # a repeated query word counts once
        return np.asarray((sparse.csr_matrix(q, dtype=np.float32) @ self.matrix).toarray())


@dataclass
class Match:
    index: int  # row in the index
    score: float  # probability that the fact-check is about the query's claim
    cosine: float
    bm25: float


class MatchScorer:
    """Logistic regression over the candidate features (weights from a JSON file)."""

    def __init__(self, coef: Sequence[float], intercept: float, mean: Sequence[float], scale: Sequence[float]):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> MatchScorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: weights are for features {data['features']}, expected {FEATURES}")
        return cls(data["coef"], data["intercept"], data["mean"], data["scale"])

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


class FactcheckIndex:
    """Fact-checks in memory: BM25 over claim + title (and over each alone), MiniLM vectors of claim and title."""

    def __init__(self, texts: Sequence[str], claim_vectors: np.ndarray, title_vectors: np.ndarray | None = None,
                 scorer: MatchScorer | None = None, claims: Sequence[str] | None = None,
                 titles: Sequence[str] | None = None, reranker: Reranker | None = None,
                 duplicate_rows: Sequence[int] | None = None) -> None:
        self.size = len(texts)
        self.texts = [t.strip() for t in texts]
        self.bm25 = BM25(texts) if texts else None
        claims = list(texts) if claims is None else list(claims)
        titles = list(texts) if titles is None else [t or c for t, c in zip(titles, claims)]
        self.bm25_claim = BM25(claims) if texts else None
        self.bm25_title = BM25(titles) if texts else None
        self.numbers = [numbers(t) for t in texts]
        self.claim_vectors = np.asarray(claim_vectors, dtype=np.float32)
        self.title_vectors = self.claim_vectors if title_vectors is None else np.asarray(title_vectors, np.float32)
        self.scorer = scorer
        self.reranker = reranker
        # rows that copy an earlier fact-check (`duplicate_of`) are never candidates: their original is
        self.original = np.arange(self.size) if duplicate_rows is None else np.asarray(duplicate_rows, np.int64)
        self.copies = self.original != np.arange(self.size)

    def features(self, queries: Sequence[str], query_vectors: np.ndarray, candidates: int = 30,
                 exclude: Sequence[set[int]] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query: (candidate rows, feature matrix in FEATURES order).

        `exclude` (per query, rows to leave out) lets training see queries whose match is not in the collection,
        as most claims in the news are: then the best candidate is still "best", but wrong.
        """
        if self.size == 0:
            return [(np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)))) for _ in queries]
        # BM25 sees the raw text: on CheckThat! dev a tweet's handle, name and date lift BM25 MAP@5 from 0.68 to
        # 0.73 (names and dates recur in the verified claims); the embeddings see the cleaned text. The scorer
        # gets both BM25s.
        cleaned = [clean_query(q) for q in queries]
        queries = [with_tag_words(q) for q in queries]
        vectors = np.asarray(query_vectors, np.float32)
        lexical = {"bm25": self.bm25.scores(queries), "bm25_clean": self.bm25.scores(cleaned),
                   "bm25_claim": self.bm25_claim.scores(queries), "bm25_title": self.bm25_title.scores(queries)}
        # one matrix-vector product per query: a row of a matrix product gets different last bits depending on
        # the other rows (BLAS blocking), so a claim's cosines would depend on the other claims of its batch
        dense = {"cos_claim": _products(self.claim_vectors, vectors),
                 "cos_title": _products(self.title_vectors, vectors)}
        dense["cos_best"] = np.maximum(dense["cos_claim"], dense["cos_title"])
        if self.copies.any():
            for name, matrix in {**lexical, **dense}.items():
                matrix[:, self.copies] = -1.0 if name in dense else 0.0
        out = []
        k = min(candidates, self.size)
        for row in range(len(queries)):
            scores = {name: matrix[row] for name, matrix in {**lexical, **dense}.items()}
            gone = np.zeros(0, dtype=np.int64)
            if exclude is not None and exclude[row]:
                gone = np.fromiter(exclude[row], dtype=np.int64)
                for name in scores:
                    scores[name] = scores[name].copy()
                    scores[name][gone] = -1.0 if name in dense else 0.0
            orders, ranks = {}, {}
            for name, values in scores.items():
                orders[name], ranks[name] = _ranks(values)
            pool = np.unique(np.concatenate([orders["cos_best"][:k], orders["bm25"][:k],
                                             orders["cos_claim"][:k // 2], orders["bm25_clean"][:k // 2]]))
            pool = pool[~np.isin(pool, gone) & ~self.copies[pool]]
            best = orders["cos_best"]
            top_cos = float(scores["cos_best"][best[0]])
            second_cos = float(scores["cos_best"][best[1]]) if self.size > 1 else 0.0
            columns = [
                scores["cos_claim"][pool], scores["cos_title"][pool], scores["cos_best"][pool],
                scores["bm25"][pool] / max(float(scores["bm25"][orders["bm25"][0]]), 1e-6),
                np.log1p(scores["bm25"][pool]),
                # No shared word is no lexical evidence, whatever rank the tie got.
                1.0 / (1.0 + ranks["cos_best"][pool]),
                np.where(scores["bm25"][pool] > 0, 1.0 / (1.0 + ranks["bm25"][pool]), 0.0),
                np.where(pool == best[0], top_cos - second_cos, scores["cos_best"][pool] - top_cos),
            ]
            for name in ("bm25_clean", "bm25_claim", "bm25_title"):
                values = scores[name]
                columns += [values[pool] / max(float(values[orders[name][0]]), 1e-6),
                            np.log1p(np.maximum(values[pool], 0.0)),
                            np.where(values[pool] > 0, 1.0 / (1.0 + ranks[name][pool]), 0.0)]
            for name in ("cos_claim", "cos_title"):
                values = scores[name]
                columns += [1.0 / (1.0 + ranks[name][pool]), values[pool] - values[orders[name][0]]]
            query_numbers = numbers(cleaned[row])
            columns += [
                np.array([len(query_numbers & self.numbers[i]) for i in pool], dtype=np.float64),
                np.array([len(self.numbers[i] - query_numbers) for i in pool], dtype=np.float64),
            ]
            out.append((pool, np.column_stack(columns)))
        return out

    def search(self, queries: Sequence[str], query_vectors: np.ndarray, top_k: int = 5, threshold: float = 0.0,
               candidates: int = 30, min_cosine: float = MIN_COSINE,
               rerank_min_cosine: float | None = None, rerank_min_score: float = 0.0) -> list[list[Match]]:
        """The best `top_k` matches per query whose score reaches `threshold`, best first.

        Rank features say "best of this collection"; in a small collection the best can still be unrelated, so a
        candidate needs an absolute similarity of `min_cosine` too (98% of CheckThat! train matches have 0.3).
        `rerank_min_cosine`: the cross-encoder reads a query's head only when its best candidate is at least this
        close in MiniLM space (most sentences of an article are far from every fact-check, and the cross-encoder
        is the costly part); None re-ranks every query. `rerank_min_score`: nor when the first scorer gives its best
        candidate less than this probability.
        """
        results: list[list[Match]] = []
        for query, (pool, features) in zip(queries, self.features(queries, query_vectors, candidates)):
            if len(pool) == 0:
                results.append([])
                continue
            if self.scorer is not None:
                scores = self.scorer.probability(features)
            else:  # no learned weights: reciprocal rank fusion of the two rankings
                scores = features[:, FEATURES.index("dense_rr")] + features[:, FEATURES.index("bm25_rr")]
            scores = np.where(features[:, FEATURES.index("cos_best")] >= min_cosine, scores, 0.0)
            order = np.argsort(-scores)
            best_cosine = float(features[:, FEATURES.index("cos_best")].max())
            wanted = ((rerank_min_cosine is None or best_cosine >= rerank_min_cosine)
                      and float(scores.max()) >= rerank_min_score)
            if self.reranker is not None and self.scorer is not None and wanted:
                head = np.array([i for i in order[: self.reranker.top] if scores[i] > 0], dtype=np.int64)
                if len(head):
                    # The re-ranked head keeps its place above the rest (which the cross-encoder did not read).
                    scores = scores.copy()
                    scores[head] = self.reranker.probability(clean_query(query), [self.texts[pool[i]] for i in head],
                                                             scores[head])
                    order = np.concatenate([head[np.argsort(-scores[head])], order[~np.isin(order, head)]])
            order = order[:top_k]
            results.append([
                Match(int(pool[i]), float(scores[i]), float(features[i, FEATURES.index("cos_best")]),
                      float(np.expm1(features[i, FEATURES.index("bm25_log")])))
                for i in order if scores[i] >= threshold
            ])
        return results
