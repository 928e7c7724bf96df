"""The HTTP API: `POST /api/analyze` (one article in, its analysis out) and `GET /api/health`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis
from sourcetrace.web.articles import AnalyzeRequest, ErrorBody, article_from_request

ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "malformed request"},
    413: {"model": ErrorBody, "description": "request body above the size limit"},
    415: {"model": ErrorBody, "description": "unsupported content type"},
    422: {"model": ErrorBody, "description": "the input is not an article (empty, binary, no main text, bad date)"},
    500: {"model": ErrorBody, "description": "the analysis failed, or its worker process died"},
    503: {"model": ErrorBody, "description": "every worker busy and the queue full (or no worker free in "
                                             "time); the Retry-After header says when to try again"},
    504: {"model": ErrorBody, "description": "the analysis ran past the time limit"},
}


def add_api_routes(app: FastAPI, service: Any, settings: Any) -> None:
    @app.post(
        "/api/analyze",
        summary="Analyse one article",
        response_model=Analysis,
        response_model_by_alias=True,
        responses=ERROR_RESPONSES,
        tags=["analysis"],
        openapi_extra={
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                 "description": f"{name} (for text/plain, text/html and multipart bodies)"}
                for name in ("id", "title", "published", "outlet", "url")
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": AnalyzeRequest.model_json_schema()},
                    "text/plain": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}, "text": {"type": "string"},
                        "format": {"type": "string", "enum": ["auto", "text", "html"]},
                    }}},
                },
            },
        },
    )
    async def api_analyze(request: Request) -> JSONResponse:
        """Analyse plain text or an HTML page. Send JSON (`{"text": ...}` or `{"html": ...}` with optional
        `id`, `title`, `published`, `outlet`, `url`), a raw `text/plain` or `text/html` body (metadata in the
        query string), or a multipart form with a `file`. Returns the analysis (schema sourcetrace/analysis/v1)."""
        article = await article_from_request(request)
        analysis = await service.analyze(article)
        return JSONResponse(analysis.to_dict())

    @app.get("/api/health", summary="Liveness and what is loaded", tags=["meta"])
    async def api_health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "corpus": app.state.corpus is not None,
                "max_request_bytes": settings.max_request_bytes, "analysis_timeout_s": settings.analysis_timeout_s,
                **service.status()}

