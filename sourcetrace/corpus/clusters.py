"""Claim clusters: claims that state the same thing, across articles and outlets, and how they travelled.

Claims are embedded (MiniLM, `sourcetrace._ml.embedder`; the workers embed each task's claims) and clustered
incrementally with leader clustering over an approximate-nearest-neighbour index (faiss's HNSW, C++): claims
are taken in order of publication; a claim joins the cluster whose leader (its first claim) is the nearest,
if the cosine similarity is at least `threshold`, else it leads a new cluster. Assignments, once made, never
change, so a rerun with new articles only places the new claims (`cluster_members` is the state).

Per cluster, `clusters` says where it was first seen (outlet, date), which outlets carried it and when, the
wordings and numbers it took, and the fact-check or narrative findings of its members.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.analysis import stable_id
from sourcetrace.corpus.backends.tables import CLUSTER_MEMBERS, CLUSTERS

THRESHOLD = 0.8
MIN_WORDS = 4  # shorter claims ("He denied it.") say too little to be matched across articles
MAX_WORDINGS = 25
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


class Embedder:
    """What clustering needs from an embedding model (`sourcetrace._ml.embedder.SentenceEmbedder` is one)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - protocol
        raise NotImplementedError


def load_default_embedder() -> Any | None:
    """The packaged MiniLM embedder."""
    return load_embedder()


def clusterable(text: str | None) -> bool:
    return bool(text) and len(text.split()) >= MIN_WORDS


def embed_claim_texts(embedder: Any, claims: Sequence[tuple[str, str]]) -> dict[str, list[float]]:
    """claim id -> unit vector, for the claims long enough to be clustered."""
    chosen = [(claim_id, text) for claim_id, text in claims if clusterable(text)]
    if not chosen or embedder is None:
        return {}
    vectors = embedder.encode([text for _, text in chosen])
    return {claim_id: vector.astype(np.float32).tolist() for (claim_id, _), vector in zip(chosen, vectors)}


class LeaderIndex:
    """Cluster leaders in a faiss HNSW index (inner product = cosine on unit vectors); `assign` places one vector."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.index: Any = None  # built on the first leader, when the dimension is known
        self.cluster_ids: list[str] = []  # faiss numbers vectors in insertion order

    def __len__(self) -> int:
        return len(self.cluster_ids)

    def add_leader(self, cluster_id: str, vector: np.ndarray) -> None:
        if self.index is None:
            import faiss

            self.index = faiss.IndexHNSWFlat(int(vector.shape[-1]), 16, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = 64
            self.index.hnsw.efSearch = 48
        self.index.add(np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1))
        self.cluster_ids.append(cluster_id)

    def assign(self, claim_id: str, vector: np.ndarray) -> tuple[str, float, bool]:
        """(cluster id, similarity to its leader, whether the claim leads a new cluster)."""
        if self.cluster_ids:
            query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
            similarities, positions = self.index.search(query, 1)
            similarity, position = float(similarities[0, 0]), int(positions[0, 0])
            if position >= 0 and similarity >= self.threshold:
                return self.cluster_ids[position], similarity, False
        cluster_id = stable_id("cl", claim_id)
        self.add_leader(cluster_id, vector)
        return cluster_id, 1.0, True


def update_clusters(
    backend: Any, embedder_factory: Callable[[], Any] = load_default_embedder, threshold: float = THRESHOLD
) -> dict[str, int]:
    """Place the claims not yet clustered, then rebuild the cluster summaries. Returns counts."""
    index = LeaderIndex(threshold)
    members = backend.read("SELECT claim_id, cluster_id, similarity, leader FROM cluster_members").to_pylist()
    leaders = backend.read(
        "SELECT m.cluster_id, c.claim_id, c.text, c.embedding FROM cluster_members m "
        "JOIN claims c ON c.claim_id = m.claim_id WHERE m.leader"
    ).to_pylist()
    new_claims = backend.read(
        "SELECT c.claim_id, c.text, c.embedding FROM claims c LEFT JOIN cluster_members m ON m.claim_id = c.claim_id "
        "WHERE m.claim_id IS NULL ORDER BY c.published NULLS LAST, c.article_id, c.start_char"
    ).to_pylist()
    new_claims = [row for row in new_claims if clusterable(row["text"])]
    # Claims stored by a run without an embedder get their vectors now (and again on each update: not stored).
    missing = [(row["claim_id"], row["text"]) for row in leaders + new_claims if row["embedding"] is None]
    if missing:
        vectors = embed_claim_texts(embedder_factory(), missing)
        for row in leaders + new_claims:
            if row["embedding"] is None:
                row["embedding"] = vectors.get(row["claim_id"])
    for row in leaders:
        if row["embedding"] is not None:
            index.add_leader(row["cluster_id"], np.asarray(row["embedding"], dtype=np.float32))
    placed = 0
    for row in new_claims:
        if row["embedding"] is None:
            continue
        cluster_id, similarity, leader = index.assign(row["claim_id"], np.asarray(row["embedding"], dtype=np.float32))
        members.append(
            {"claim_id": row["claim_id"], "cluster_id": cluster_id, "similarity": round(similarity, 4),
             "leader": leader}
        )
        placed += 1
    if placed or not members:
        backend.write_derived("cluster_members", pa.Table.from_pylist(members, schema=CLUSTER_MEMBERS))
    summaries = summarise(backend)
    backend.write_derived("clusters", pa.Table.from_pylist(summaries, schema=CLUSTERS))
    return {"placed": placed, "claims": len(members), "clusters": len(summaries)}


def _numbers(quantities: str | None, text: str) -> list[str]:
    if quantities:
        values = [q.get("span", {}).get("text") for q in json.loads(quantities)]
        found = [v for v in values if v]
        if found:
            return found
    return _NUMBER.findall(text)


def summarise(backend: Any) -> list[dict[str, Any]]:
    """One summary row per cluster, from its members, their articles and their findings."""
    rows = backend.read(
        "SELECT m.cluster_id, m.leader, c.claim_id, c.article_id, c.outlet, c.published, c.text, c.quantities, "
        "d.duplicate_of FROM cluster_members m JOIN claims c ON c.claim_id = m.claim_id "
        "LEFT JOIN duplicates d ON d.article_id = c.article_id "
        "ORDER BY m.cluster_id, c.published NULLS LAST, c.article_id, c.start_char"
    ).to_pylist()
    findings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in backend.read(
        "SELECT f.claim_id, f.kind, f.message, f.score, f.evidence FROM findings f JOIN cluster_members m "
        "ON m.claim_id = f.claim_id WHERE f.kind IN ('factcheck_match', 'refutes_checked_claim', "
        "'reports_checked_claim', 'narrative', 'contradiction')"
    ).to_pylist():
        findings[finding["claim_id"]].append(finding)
    by_cluster: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cluster[row["cluster_id"]].append(row)
    summaries = []
    for cluster_id, members in by_cluster.items():
        leader = next((m for m in members if m["leader"]), members[0])
        first = members[0]
        outlets: dict[str, dict[str, Any]] = {}
        for member in members:
            name = member["outlet"] or "(unknown outlet)"
            entry = outlets.setdefault(
                name, {"outlet": name, "first_published": _iso(member["published"]), "n_claims": 0, "articles": []}
            )
            entry["n_claims"] += 1
            if member["article_id"] not in entry["articles"]:
                entry["articles"].append(member["article_id"])
        wordings, seen_wordings = [], set()
        numbers, seen_numbers = [], set()
        for member in members:
            key = " ".join(member["text"].lower().split())
            if key not in seen_wordings and len(wordings) < MAX_WORDINGS:
                seen_wordings.add(key)
                wordings.append(
                    {"text": member["text"], "outlet": member["outlet"], "published": _iso(member["published"]),
                     "article_id": member["article_id"], "claim_id": member["claim_id"]}
                )
            values = _numbers(member["quantities"], member["text"])
            if values:
                numbers.append({"values": values, "outlet": member["outlet"], "published": _iso(member["published"]),
                                "claim_id": member["claim_id"]})
                seen_numbers.add(tuple(sorted(values)))
        cluster_findings, narratives = [], []
        seen_findings = set()
        for member in members:
            for finding in findings.get(member["claim_id"], []):
                if (finding["kind"], finding["message"]) in seen_findings:
                    continue
                seen_findings.add((finding["kind"], finding["message"]))
                cluster_findings.append(
                    {"kind": finding["kind"], "message": finding["message"], "score": finding["score"],
                     "claim_id": member["claim_id"], "evidence": json.loads(finding["evidence"] or "[]")}
                )
                if finding["kind"] == "narrative" and finding["message"] not in narratives:
                    narratives.append(finding["message"])
        articles = {m["article_id"] for m in members}
        independent = {m["article_id"] for m in members if m["duplicate_of"] is None}
        dates = [m["published"] for m in members if m["published"] is not None]
        summaries.append(
            {
                "cluster_id": cluster_id, "label": leader["text"], "first_claim_id": first["claim_id"],
                "first_article_id": first["article_id"], "first_outlet": first["outlet"],
                "first_published": first["published"], "last_published": max(dates) if dates else None,
                "n_claims": len(members), "n_articles": len(articles), "n_independent_articles": len(independent),
                "n_outlets": len({m["outlet"] for m in members if m["outlet"]}),
                "outlets": json.dumps(list(outlets.values()), ensure_ascii=False),
                "wordings": json.dumps(wordings, ensure_ascii=False),
                "numbers": json.dumps(numbers, ensure_ascii=False), "numbers_changed": len(seen_numbers) > 1,
                "findings": json.dumps(cluster_findings, ensure_ascii=False),
                "narratives": json.dumps(narratives, ensure_ascii=False),
            }
        )
    return summaries


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
