"""CheckThat! 2020 Task 2 (claim retrieval) data and metrics, shared by evaluation and training.

Files: `verified_claims.docs.tsv` (id, vclaim, title), `tweets.queries.tsv` (id, tweet_content) and
`tweet-vclaim-pairs.qrels` (TREC: query 0 vclaim 1). MAP@k follows the task's scorer: the average precision
of the top k, divided by the number of relevant verified claims of the query.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sourcetrace.errors import InputError
from sourcetrace.stages.factchecks.store import default_db_path


def read_queries(path: str | Path) -> dict[str, str]:
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    queries: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter="\t")
        for parts in reader:
            if reader.line_num == 1 and len(parts) >= 2 and parts[1] == "tweet_content":
                continue
            if not any(p.strip() for p in parts):
                continue
            if len(parts) < 2:
                raise InputError(str(path), "expected id<TAB>text", line=reader.line_num)
            queries[parts[0].strip()] = parts[1]
    return queries


def read_qrels(path: str | Path) -> dict[str, set[str]]:
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    relevant: dict[str, set[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise InputError(str(path), "expected TREC qrels: query 0 document relevance", line=number)
        if parts[3] != "0":
            relevant.setdefault(parts[0], set()).add(parts[2])
    return relevant


def average_precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def retrieval_metrics(rankings: dict[str, Sequence[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """MAP@1, MAP@3, MAP@5 and precision@1 over the queries that have relevance judgements."""
    judged = [q for q in qrels if q in rankings]
    if not judged:
        return {"MAP@1": 0.0, "MAP@3": 0.0, "MAP@5": 0.0, "P@1": 0.0, "queries": 0}
    out = {f"MAP@{k}": float(np.mean([average_precision(rankings[q], qrels[q], k) for q in judged]))
           for k in (1, 3, 5)}
    out["P@1"] = float(np.mean([1.0 if rankings[q][:1] and rankings[q][0] in qrels[q] else 0.0 for q in judged]))
    out["queries"] = len(judged)
    return out


def cache_db_for(path: str | Path) -> Path:
    """A per-file DuckDB cache for evaluation runs, so vectors of the verified claims are computed once."""
    # keyed on the file's bytes, not its path or mtime: a copy of the same collection reuses the vectors
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    path = Path(path)
    key = digest.hexdigest()[:12]
    return default_db_path().parent / f"eval-{path.stem}-{key}.duckdb"
