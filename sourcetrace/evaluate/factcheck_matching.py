"""`sourcetrace evaluate factcheck-matching`: CheckThat! 2020 Task 2 (tweet -> verified claim retrieval).

Prints MAP@1, MAP@3, MAP@5 (the task's official metric) and precision@1 for the sourcetrace matcher (BM25 +
MiniLM, re-ranked by the learned scorer) beside plain BM25 over claim + title and MiniLM alone. The verified
claims are imported once into a cache DuckDB file (or `--db`), so later runs only embed the queries.
"""

# The functions that run a model import it when called: `sourcetrace --help` imports this module.
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import typer


def build_clef_index(vclaims: Path, db: Path | None = None, progress: bool = False,  # noqa: ANN201
                     with_scorer: bool = True, with_reranker: bool = True):
    """(index, vclaim ids in index order, embedder) for a verified-claims TSV, importing it into `db` once."""
    from sourcetrace._ml.embedder import load_embedder
    from sourcetrace.datasets.checkthat import cache_db_for
    from sourcetrace.stages.factchecks.importers import read_factchecks
    from sourcetrace.stages.factchecks.reranker import load_reranker
    from sourcetrace.stages.factchecks.retrieval import WEIGHTS_PATH, FactcheckIndex, MatchScorer, duplicate_of
    from sourcetrace.stages.factchecks.store import FactcheckStore

    embedder = load_embedder()
    with FactcheckStore(db or cache_db_for(vclaims)) as store:
        records = list(read_factchecks(vclaims, "clef-vclaims"))
        if store.count("clef2020") != len(records):
            if progress:
                typer.echo(f"embedding {len(records)} verified claims into {store.path} (once)", err=True)
            store.import_records(records, embedder)
        rows, claim_vectors, title_vectors = store.load(["clef2020"])
    wanted = {record.id for record in records}
    keep = [i for i, row in enumerate(rows) if row["id"] in wanted]
    rows = [rows[i] for i in keep]
    texts = [f"{row['claim']} {row['title'] or ''}" for row in rows]
    scorer = MatchScorer.load(WEIGHTS_PATH) if with_scorer and WEIGHTS_PATH.exists() else None
    reranker = load_reranker() if scorer is not None and with_reranker else None
    index = FactcheckIndex(texts, claim_vectors[keep], title_vectors[keep], scorer=scorer,
                           claims=[row['claim'] for row in rows], titles=[row['title'] or '' for row in rows],
                           reranker=reranker, duplicate_rows=duplicate_of(rows))
    return index, [row["extra"]["vclaim_id"] for row in rows], embedder


def evaluate_factcheck_matching(vclaims: Path, queries: Path, qrels: Path, db: Path | None = None,
                                progress: bool = False) -> dict[str, dict[str, float]]:
    from sourcetrace.datasets.checkthat import read_qrels, read_queries, retrieval_metrics
    from sourcetrace.stages.factchecks.retrieval import clean_query

    index, vclaim_ids, embedder = build_clef_index(vclaims, db, progress)
    query_texts = read_queries(queries)
    relevant = read_qrels(qrels)
    ids = list(query_texts)
    texts = [query_texts[q] for q in ids]
    vectors = embedder.encode([clean_query(t) for t in texts])
    systems: dict[str, dict[str, list[str]]] = {"sourcetrace": {}, "bm25": {}, "minilm": {}}
    if index.reranker is not None:  # the same candidates and scorer without the cross-encoder, for comparison
        systems["first_scorer"] = {}
        plain = copy.copy(index)
        plain.reranker = None
        first = plain.search(texts, vectors, top_k=5)
    bm25 = index.bm25.scores(texts)
    cos_claim = vectors @ index.claim_vectors.T
    cos_title = vectors @ index.title_vectors.T
    cosine = np.maximum(cos_claim, cos_title)
    matches = index.search(texts, vectors, top_k=5)
    for row, query_id in enumerate(ids):
        systems["sourcetrace"][query_id] = [vclaim_ids[m.index] for m in matches[row]]
        systems["bm25"][query_id] = [vclaim_ids[i] for i in np.argsort(-bm25[row])[:5]]
        systems["minilm"][query_id] = [vclaim_ids[i] for i in np.argsort(-cosine[row])[:5]]
        if "first_scorer" in systems:
            systems["first_scorer"][query_id] = [vclaim_ids[m.index] for m in first[row]]
    return {name: retrieval_metrics(rankings, relevant) for name, rankings in systems.items()}
