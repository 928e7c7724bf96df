"""Corpus endpoints and pages: read a corpus database built by corpus mode (`sourcetrace run`).

The store (`sourcetrace.corpus.store.CorpusStore`) does the querying; this module only maps HTTP
parameters onto its methods and turns what it returns into JSON or pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from sourcetrace.analysis import Analysis
from sourcetrace.errors import SourcetraceError
from sourcetrace.web.render import analysis_view

NO_DB = "no corpus database is loaded: start the server with `sourcetrace serve --db DIR`"


def store_of(request: Request) -> Any:
    store = request.app.state.corpus
    if store is None:
        raise HTTPException(404, NO_DB)
    return store


def ask(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A store call; its own errors (a bad date, say) become 422 with the store's message."""
    try:
        return call(*args, **kwargs)
    except SourcetraceError as error:
        raise HTTPException(422, str(error)) from None


SOURCE_KINDS = ("named_person", "named_organization", "anonymous", "pronoun", "author", "other")

NARRATIVES_SQL = """
SELECT f.message AS narrative, count(DISTINCT f.claim_id) AS n_claims, count(DISTINCT f.article_id) AS n_articles,
       count(DISTINCT a.outlet) AS n_outlets, min(a.published) AS first_published, max(a.published) AS last_published,
       string_agg(DISTINCT a.outlet, ', ') AS outlets
FROM findings f JOIN articles a ON a.article_id = f.article_id
WHERE f.kind = 'narrative'
GROUP BY f.message
ORDER BY n_articles DESC, n_claims DESC, narrative
LIMIT ? OFFSET ?
"""


def narratives(store: Any, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Narratives the fact-check stage matched claims to, with how widely each was carried."""
    return store.rows(NARRATIVES_SQL, [int(limit), int(offset)])


def timeline(members: list[dict[str, Any]], width: int = 900, row_height: int = 30) -> dict[str, Any]:
    """Coordinates for the cluster timeline: one row per outlet (in order of first appearance), one dot per
    article on its publication date. The template draws it as inline SVG (no script, no CDN)."""
    dated = [m for m in members if m.get("published")]
    left, right, top = 170, 50, 16  # right: room for the last date label
    outlets: list[str] = []
    for member in sorted(dated, key=lambda m: m["published"]):
        name = member.get("outlet") or "(unknown outlet)"
        if name not in outlets:
            outlets.append(name)
    days = [dt.date.fromisoformat(str(m["published"])[:10]) for m in dated]
    if not days:
        return {"width": width, "height": 0, "rows": [], "dots": [], "ticks": [], "undated": len(members)}
    first, last = min(days), max(days)
    if first == last:
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    span = (last - first).days
    plot_width = width - left - right
    height = top + row_height * len(outlets) + 40

    def x_of(day: dt.date) -> float:
        return round(left + plot_width * (day - first).days / span, 1)

    rows = [{"outlet": name, "y": top + row_height * index + row_height / 2} for index, name in enumerate(outlets)]
    y_of = {row["outlet"]: row["y"] for row in rows}
    dots, seen = [], set()
    earliest = min(days)
    for member, day in sorted(zip(dated, days), key=lambda pair: pair[1]):
        outlet = member.get("outlet") or "(unknown outlet)"
        key = (outlet, day, member.get("article_id"))
        if key in seen:  # several claims of one article: one dot
            continue
        seen.add(key)
        dots.append({"x": x_of(day), "y": y_of[outlet], "outlet": outlet, "date": day.isoformat(),
                     "text": member.get("text") or "", "article_id": member.get("article_id"),
                     "first": day == earliest, "duplicate": bool(member.get("duplicate_of"))})
    step = max(1, -(-span // 6))
    ticks = [{"x": x_of(first + dt.timedelta(days=d)), "label": (first + dt.timedelta(days=d)).isoformat()}
             for d in range(0, span + 1, step)]
    axis_y = top + row_height * len(outlets) + 6
    return {"width": width, "height": height, "rows": rows, "dots": dots, "ticks": ticks, "left": left,
            "right": width - right, "top": top, "axis_y": axis_y, "undated": len(members) - len(dated)}


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
    kind: str | None = None,
    min_score: float | None = None,
) -> dict[str, Any]:
    """The claim filters, with empty values dropped and dates checked."""
    filters = {"speaker": speaker, "source_kind": source_kind, "outlet": outlet,
               "since": _date_param(since, "since"), "until": _date_param(until, "until"),
               "technique": technique, "narrative": narrative, "has_finding": has_finding, "search": search,
               "kind": kind, "min_checkworthiness": min_score}
    return {key: (value.strip() if isinstance(value, str) else value) for key, value in filters.items()
            if value not in (None, "")}


def add_corpus_routes(app: FastAPI, page: Callable[..., Any]) -> None:
    """Corpus API routes; they answer 404 with a message while no database is loaded."""
    add_corpus_api_routes(app)
    add_corpus_page_routes(app, page)


def add_corpus_api_routes(app: FastAPI) -> None:
    """The corpus API: `/api/articles`, `/api/claims`, `/api/clusters`, `/api/sources`, `/api/errors`,
    `/api/narratives`, paged by `limit` and `offset`."""

    limit_query = Query(50, ge=1, le=1000, description="rows per page")
    offset_query = Query(0, ge=0, description="rows to skip")

    @app.get("/api/articles", summary="Articles in the corpus", tags=["corpus"])
    async def api_articles(request: Request, limit: int = limit_query, offset: int = offset_query) -> Any:
        return jsonable(ask(store_of(request).articles, limit=limit, offset=offset))

    @app.get("/api/articles/{article_id}", summary="One article and its analysis", tags=["corpus"])
    async def api_article(request: Request, article_id: str) -> Any:
        article = ask(store_of(request).article, article_id)
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
        kind: str | None = Query(None, description="claim kind: event, statistic, causal, prediction, opinion, other"),
        min_score: float | None = Query(None, ge=0, le=1, description="check-worthiness at least this"),
        sort: str = Query("published", description="published (newest first), checkworthiness (most check-worthy "
                          "first), speaker, outlet, kind; '-' before a name reverses it"),
        limit: int = limit_query,
        offset: int = offset_query,
    ) -> Any:
        filters = claim_filters(speaker, source_kind, outlet, since, until, technique, narrative, has_finding, search,
                                kind, min_score)
        return jsonable(ask(store_of(request).claims, **filters, sort=sort, limit=limit, offset=offset))

    @app.get("/api/speakers", summary="Who is quoted, each person once across the names they appear under",
             tags=["corpus"])
    async def api_speakers(
        request: Request,
        name: str | None = Query(None, description="speaker name (substring, case-insensitive)"),
        limit: int = limit_query,
        offset: int = offset_query,
    ) -> Any:
        return jsonable(ask(store_of(request).speakers, name=name or None, limit=limit, offset=offset))

    @app.get("/api/clusters", summary="Claim clusters: the same claim across outlets", tags=["corpus"])
    async def api_clusters(
        request: Request,
        since: str | None = Query(None, description="first seen on or after, YYYY-MM-DD"),
        limit: int = limit_query,
    ) -> Any:
        return jsonable(ask(store_of(request).clusters, since=_date_param(since, "since"), limit=limit))

    @app.get("/api/clusters/{cluster_id}", summary="One claim cluster with its claims", tags=["corpus"])
    async def api_cluster(request: Request, cluster_id: str) -> Any:
        cluster = ask(store_of(request).cluster, cluster_id)
        if cluster is None:
            raise HTTPException(404, f"no cluster with id {cluster_id!r} in the corpus")
        return jsonable(cluster)

    @app.get("/api/sources", summary="Who is cited, by whom, through which channels", tags=["corpus"])
    async def api_sources(
        request: Request,
        source: str | None = Query(None, description="only edges with this name as source or target (substring)"),
        limit: int = limit_query,
    ) -> Any:
        return jsonable(ask(store_of(request).sources, source=source or None, limit=limit))

    @app.get("/api/errors", summary="What failed in the corpus run, with record ids and causes", tags=["corpus"])
    async def api_errors(request: Request, limit: int = limit_query, offset: int = offset_query) -> Any:
        return jsonable(ask(store_of(request).errors, limit=limit, offset=offset))

    @app.get("/api/narratives", summary="Narratives claims were matched to, and how widely", tags=["corpus"])
    async def api_narratives(request: Request, limit: int = limit_query, offset: int = offset_query) -> Any:
        return jsonable(ask(narratives, store_of(request), limit=limit, offset=offset))


PAGE_SIZE = 50
CLAIM_KINDS = ("event", "statistic", "causal", "prediction", "opinion", "other")


def facet_links(request: Request, names: tuple[str, ...]) -> dict[str, Callable[[Any], str]]:
    """Per facet, a function from a value to the page's URL with that facet set (or cleared when it is the one
    already chosen), keeping the other filters and the sort, from the first page."""

    def maker(name: str) -> Callable[[Any], str]:
        def link(value: Any) -> str:
            params = {k: v for k, v in request.query_params.items() if v and k != "offset"}
            if params.get(name) == str(value):
                params.pop(name)
            else:
                params[name] = str(value)
            return request.url.path + ("?" + urlencode(params) if params else "")
        return link

    return {name: maker(name) for name in names}


def sort_link(request: Request, column: str, current: str) -> str:
    """The page's URL sorted by `column`; a second click on the sorted column reverses it."""
    params = {k: v for k, v in request.query_params.items() if v and k not in ("offset", "sort")}
    params["sort"] = ("-" + column) if current == column else column
    return request.url.path + "?" + urlencode(params)


def offset_of(request: Request) -> int:
    """The listing offset of a page's query string."""
    try:
        return max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        raise HTTPException(422, "offset must be a whole number") from None


def pager(request: Request, offset: int, shown: int) -> dict[str, Any]:
    """Links to the previous and next page of a listing, keeping its filters."""

    def link(new_offset: int) -> str:
        params = {k: v for k, v in request.query_params.items() if v and k != "offset"}
        return request.url.path + "?" + urlencode({**params, "offset": new_offset})

    return {"offset": offset, "shown": shown,
            "previous": link(max(0, offset - PAGE_SIZE)) if offset > 0 else None,
            "next": link(offset + PAGE_SIZE) if shown == PAGE_SIZE else None}


def add_corpus_page_routes(app: FastAPI, page: Callable[..., Any]) -> None:
    """The corpus pages under `/corpus`."""

    @app.get("/corpus", include_in_schema=False)
    async def corpus_home(request: Request) -> HTMLResponse:
        store = store_of(request)
        stats = ask(store.stats)
        return page(request, "corpus_home.html", {"stats": stats, "failed": stats.get("errors", 0),
                                                  "n_clusters": ask(store.count_clusters),
                                                  "n_speakers": ask(store.count_speakers)})

    @app.get("/corpus/errors", response_class=HTMLResponse, include_in_schema=False)
    async def errors_page(request: Request) -> HTMLResponse:
        offset = offset_of(request)
        rows = ask(store_of(request).errors, limit=PAGE_SIZE, offset=offset)
        return page(request, "corpus_errors.html", {"rows": rows, "pager": pager(request, offset, len(rows))})

    @app.get("/corpus/articles", response_class=HTMLResponse, include_in_schema=False)
    async def articles_page(request: Request) -> HTMLResponse:
        offset = offset_of(request)
        query = request.query_params
        form = {key: query.get(key, "").strip() for key in ("outlet", "speaker", "technique", "narrative", "since",
                                                            "until")}
        filters = {k: v for k, v in form.items() if v}
        for key in ("since", "until"):
            if key in filters:
                filters[key] = _date_param(filters[key], key)
        sort = query.get("sort", "published")
        store = store_of(request)
        rows = ask(store.articles, **filters, sort=sort, limit=PAGE_SIZE, offset=offset)
        return page(request, "articles.html", {
            "rows": rows, "form": form, "filtered": bool(filters), "sort": sort,
            "total": ask(store.count_articles, **filters), "facets": ask(store.article_facets, **filters),
            "facet_links": facet_links(request, ("outlet", "speaker", "technique", "narrative")),
            "pager": pager(request, offset, len(rows))})

    @app.get("/corpus/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article_page(request: Request, article_id: str) -> HTMLResponse:
        stored = ask(store_of(request).article, article_id)
        if stored is None:
            raise HTTPException(404, f"no article with id {article_id!r} in the corpus")
        view = analysis_view(Analysis.model_validate(stored))
        claims = ask(store_of(request).claims, article_id=article_id, sort="checkworthiness", limit=1000)
        return page(request, "article.html", {"view": view, "claims": claims})

    @app.get("/corpus/claims", response_class=HTMLResponse, include_in_schema=False)
    async def claims_page(request: Request) -> HTMLResponse:
        query = request.query_params
        offset = offset_of(request)
        has_finding = {"yes": True, "no": False}.get(query.get("has_finding", ""))
        form = {key: query.get(key, "") for key in ("search", "speaker", "source_kind", "outlet", "since", "until",
                                                   "technique", "narrative", "has_finding", "kind", "min_score")}
        try:
            min_score = float(form["min_score"]) if form["min_score"].strip() else None
        except ValueError:
            raise HTTPException(422, f"min_score: {form['min_score']!r} is not a number from 0 to 1") from None
        filters = claim_filters(form["speaker"], form["source_kind"], form["outlet"], form["since"], form["until"],
                                form["technique"], form["narrative"], has_finding, form["search"], form["kind"],
                                min_score)
        sort = query.get("sort", "checkworthiness")
        store = store_of(request)
        rows = ask(store.claims, **filters, sort=sort, limit=PAGE_SIZE, offset=offset)
        return page(request, "claims.html", {
            "rows": rows, "form": form, "filtered": bool(filters), "sort": sort, "source_kinds": SOURCE_KINDS,
            "claim_kinds": CLAIM_KINDS, "total": ask(store.count_claims, **filters),
            "facets": ask(store.claim_facets, **filters),
            "facet_links": facet_links(request, ("outlet", "speaker", "technique", "narrative", "kind")),
            "pager": pager(request, offset, len(rows))})

    @app.get("/corpus/speakers", response_class=HTMLResponse, include_in_schema=False)
    async def speakers_page(request: Request) -> HTMLResponse:
        offset = offset_of(request)
        name = request.query_params.get("name", "").strip()
        sort = request.query_params.get("sort", "n_claims")
        store = store_of(request)
        rows = ask(store.speakers, name=name or None, sort=sort, limit=PAGE_SIZE, offset=offset)
        return page(request, "speakers.html", {"rows": rows, "name": name, "sort": sort,
                                               "total": ask(store.count_speakers, name=name or None),
                                               "pager": pager(request, offset, len(rows))})

    @app.get("/corpus/clusters", response_class=HTMLResponse, include_in_schema=False)
    async def clusters_page(request: Request) -> HTMLResponse:
        since = _date_param(request.query_params.get("since"), "since")
        rows = ask(store_of(request).clusters, since=since, limit=200)
        return page(request, "clusters.html", {"rows": rows, "since": since or ""})

    @app.get("/corpus/clusters/{cluster_id}", response_class=HTMLResponse, include_in_schema=False)
    async def cluster_page(request: Request, cluster_id: str) -> HTMLResponse:
        cluster = ask(store_of(request).cluster, cluster_id)
        if cluster is None:
            raise HTTPException(404, f"no cluster with id {cluster_id!r} in the corpus")
        return page(request, "cluster.html", {"cluster": cluster, "plot": timeline(cluster.get("members", []))})

    @app.get("/corpus/sources", response_class=HTMLResponse, include_in_schema=False)
    async def sources_page(request: Request) -> HTMLResponse:
        query = request.query_params
        offset = offset_of(request)
        form = {key: query.get(key, "").strip() for key in ("source", "outlet", "source_kind", "since", "until")}
        filters = {k: v for k, v in form.items() if v}
        for key in ("since", "until"):
            if key in filters:
                filters[key] = _date_param(filters[key], key)
        sort = query.get("sort", "-n_articles")
        store = store_of(request)
        rows = ask(store.sources, **filters, sort=sort, limit=PAGE_SIZE, offset=offset)
        return page(request, "sources.html", {
            "rows": rows, "source": form["source"], "form": form, "filtered": bool(filters), "sort": sort,
            "total": ask(store.count_sources, **filters), "facets": ask(store.source_facets, **filters),
            "facet_links": facet_links(request, ("outlet", "source_kind")),
            "pager": pager(request, offset, len(rows))})

    @app.get("/corpus/narratives", response_class=HTMLResponse, include_in_schema=False)
    async def narratives_page(request: Request) -> HTMLResponse:
        rows = ask(narratives, store_of(request), limit=200)
        return page(request, "narratives.html", {"rows": rows})
