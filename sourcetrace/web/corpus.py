"""Corpus endpoints and pages: read a corpus database built by corpus mode (`sourcetrace run`).

The store (`sourcetrace.corpus.store.CorpusStore`) does the querying; this module only maps HTTP
parameters onto its methods and turns what it returns into JSON or pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from pydantic import BaseModel

NO_DB = "no corpus database is loaded: start the server with `sourcetrace serve --db DIR`"


def store_of(request: Request) -> Any:
    store = request.app.state.corpus
    if store is None:
        raise HTTPException(404, NO_DB)
    return store


def jsonable(value: Any) -> Any:
    """Rows from the store (dicts, dataclasses, pydantic models, dates, Arrow scalars) as plain JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None  # binary columns (sketches) mean nothing to a reader
    if hasattr(value, "as_py"):
        return jsonable(value.as_py())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def _date_param(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise HTTPException(422, f"{name}: {value!r} is not a date; use YYYY-MM-DD") from None


def claim_filters(
    speaker: str | None = None,
    source_kind: str | None = None,
    outlet: str | None = None,
    since: str | None = None,
    until: str | None = None,
    technique: str | None = None,
    narrative: str | None = None,
    has_finding: bool | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    """The claim filters, with empty values dropped and dates checked."""
    filters = {"speaker": speaker, "source_kind": source_kind, "outlet": outlet,
               "since": _date_param(since, "since"), "until": _date_param(until, "until"),
               "technique": technique, "narrative": narrative, "has_finding": has_finding, "search": search}
    return {key: (value.strip() if isinstance(value, str) else value) for key, value in filters.items()
            if value not in (None, "")}


def add_corpus_routes(app: FastAPI, page: Callable[..., Any]) -> None:
    """Corpus API routes; they answer 404 with a message while no database is loaded."""
    limit_query = Query(50, ge=1, le=1000, description="rows per page")
    offset_query = Query(0, ge=0, description="rows to skip")

    @app.get("/api/articles", summary="Articles in the corpus", tags=["corpus"])
    async def api_articles(request: Request, limit: int = limit_query, offset: int = offset_query) -> Any:
        return jsonable(store_of(request).articles(limit=limit, offset=offset))

    @app.get("/api/articles/{article_id}", summary="One article and its analysis", tags=["corpus"])
    async def api_article(request: Request, article_id: str) -> Any:
        article = store_of(request).article(article_id)
        if article is None:
            raise HTTPException(404, f"no article with id {article_id!r} in the corpus")
        return jsonable(article)

    @app.get("/api/claims", summary="Claims, filtered", tags=["corpus"])
    async def api_claims(
        request: Request,
        speaker: str | None = Query(None, description="speaker name (substring, case-insensitive)"),
        source_kind: str | None = Query(None, description="named_person, named_organization, anonymous, ..."),
        outlet: str | None = Query(None, description="outlet that published the article"),
        since: str | None = Query(None, description="published on or after, YYYY-MM-DD"),
        until: str | None = Query(None, description="published on or before, YYYY-MM-DD"),
        technique: str | None = Query(None, description="a persuasion technique in the claim's article"),
        narrative: str | None = Query(None, description="a narrative the claim was matched to"),
        has_finding: bool | None = Query(None, description="only claims with (true) or without (false) findings"),
        search: str | None = Query(None, description="words in the claim text"),
        limit: int = limit_query,
        offset: int = offset_query,
    ) -> Any:
        filters = claim_filters(speaker, source_kind, outlet, since, until, technique, narrative, has_finding, search)
        return jsonable(store_of(request).claims(**filters, limit=limit, offset=offset))

    @app.get("/api/clusters", summary="Claim clusters: the same claim across outlets", tags=["corpus"])
    async def api_clusters(
        request: Request,
        since: str | None = Query(None, description="first seen on or after, YYYY-MM-DD"),
        limit: int = limit_query,
    ) -> Any:
        return jsonable(store_of(request).clusters(since=_date_param(since, "since"), limit=limit))

    @app.get("/api/clusters/{cluster_id}", summary="One claim cluster with its claims", tags=["corpus"])
    async def api_cluster(request: Request, cluster_id: str) -> Any:
        cluster = store_of(request).cluster(cluster_id)
        if cluster is None:
            raise HTTPException(404, f"no cluster with id {cluster_id!r} in the corpus")
        return jsonable(cluster)

    @app.get("/api/sources", summary="Who is cited, by whom, through which channels", tags=["corpus"])
    async def api_sources(request: Request) -> Any:
        return jsonable(store_of(request).sources())
