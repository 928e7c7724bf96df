"""The pages: the Analyse page (paste or upload an article, see its analysis), the guide to reading it, and the
API documentation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from sourcetrace.errors import InputError
from sourcetrace.web.articles import article_from_form
from sourcetrace.web.render import analysis_view


def add_page_routes(app: FastAPI, service: Any, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_page(request: Request) -> HTMLResponse:
        return page(request, "analyse.html", {"form": {}, "view": None})

    @app.post("/analyse", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_submit(request: Request) -> HTMLResponse:
        form = await request.form()
        form_values = {key: str(form.get(key) or "") for key in ("text", "title", "published", "outlet", "url",
                                                                 "format")}
        try:
            article = await article_from_form(request, "pasted text")
        except InputError as error:
            return page(request, "analyse.html", {"form": form_values, "view": None, "error": str(error)}, 422)
        except HTTPException as error:
            return page(request, "analyse.html", {"form": form_values, "view": None, "error": error.detail},
                        error.status_code)
        try:
            analysis = await service.analyze(article)
        except HTTPException as error:
            response = page(request, "analyse.html", {"form": form_values, "view": None, "error": error.detail},
                            error.status_code)
            response.headers.update(error.headers or {})  # Retry-After on a 503
            return response
        form_values["text"] = form_values["text"] or article.text
        return page(request, "analyse.html", {"form": form_values, "view": analysis_view(analysis)})

    @app.get("/guide", response_class=HTMLResponse, include_in_schema=False)
    async def guide_page(request: Request) -> HTMLResponse:
        return page(request, "guide.html", {"guide": guide_html()})

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs_page(request: Request) -> HTMLResponse:
        return page(request, "docs.html", {"operations": _operations(app.openapi())})


GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guide.md"


def guide_html(path: Path = GUIDE) -> Markup | None:
    """docs/guide.md as HTML (raw HTML in it is escaped), or None where the docs are not installed."""
    if not path.is_file():
        return None
    from markdown_it import MarkdownIt

    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(path.read_text(encoding="utf-8")))


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document flattened for the docs page."""
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            operations.append({
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [
                    {"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                     "type": _schema_type(p.get("schema", {})), "description": p.get("description", "")}
                    for p in operation.get("parameters", [])
                ],
                "bodies": list(body),
                "responses": [(code, r.get("description", "")) for code, r in operation.get("responses", {}).items()],
            })
    return operations


def _schema_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"])
    return str(schema.get("type") or schema.get("$ref", "").rsplit("/", 1)[-1] or "any")

