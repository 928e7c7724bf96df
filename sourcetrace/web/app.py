"""The web app and HTTP API: a thin FastAPI shell over the same Python API as the command line.

- `POST /api/analyze` analyses plain text or HTML and returns the analysis JSON; the pages under `/`
  show it with its layers highlighted. `/api/articles`, `/api/claims`, `/api/clusters`, `/api/sources`
  and the corpus pages read a corpus database when the app was started with one (`serve --db DIR`).
- Nothing leaves the machine: URLs in the input are metadata and are never fetched, the pages load no
  CDN (scripts and styles are static files of this package), and `/docs` is a page rendered here from
  the OpenAPI document instead of FastAPI's CDN-hosted Swagger UI.
- Limits: a request body above `max_request_bytes` gets 413, an analysis running past
  `analysis_timeout_s` gets 504 (its worker process is killed and replaced), more requests than `workers` can
  run plus `max_queued` can wait get 503 with `Retry-After`, bad input gets 4xx with a one-line message in
  `{"detail": ...}`.
- Every response carries a strict Content-Security-Policy: scripts only from this origin (no inline
  script), no plugins, no framing, forms post only here.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.api import make_article
from sourcetrace.corpus.store import CorpusStore
from sourcetrace.errors import InputError
from sourcetrace.ingest.common import ReadOptions, decode, normalise_date
from sourcetrace.ingest.html import extract
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.web.corpus import add_corpus_routes
from sourcetrace.web.render import analysis_view, inert
from sourcetrace.web.workers import AnalysisFailed, AnalysisTimedOut, PoolBusy, WorkerPool

HERE = Path(__file__).resolve().parent
MB = 1_000_000

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass(frozen=True)
class WebSettings:
    """How the app is configured (`sourcetrace serve` options)."""

    db: str | Path | None = None  # a corpus folder from `sourcetrace run`, or a postgresql:// URL
    max_request_bytes: int = 2 * MB
    analysis_timeout_s: float = 120.0
    stages: tuple[str, ...] | None = None  # None: the default pipeline
    config: dict[str, dict[str, Any]] | None = None  # stage settings (`--profile`, `--config`)
    # Analysis worker processes, each holding the models (about 600 MB); 0 analyses in the server process,
    # one at a time, where an analysis past the time limit cannot be stopped.
    workers: int = 2
    max_queued: int = 16  # requests that may wait for a free worker; beyond them, 503


class AnalyzeRequest(BaseModel):
    """The JSON body of `POST /api/analyze`: exactly one of `text` or `html`, plus optional metadata."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="the article as plain text")
    html: str | None = Field(default=None, description="the article as an HTML page; its main text is extracted")
    id: str | None = Field(default=None, description="article id; default: a hash of the text")
    title: str | None = None
    published: str | None = Field(default=None, description="publication date, YYYY-MM-DD")
    outlet: str | None = None
    url: str | None = Field(default=None, description="the article's URL, kept as metadata: never fetched")


class ErrorBody(BaseModel):
    detail: str


# --------------------------------------------------------------------------------------------------
# ASGI middlewares: security headers on every response, and the request size limit.


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in names
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit:,} bytes (serve --max-request-mb)"


class BodyLimit:
    """413 for a body above the limit, whether it announces its length or streams it in chunks."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                declared_bytes = int(declared)
            except ValueError:
                await _plain_error(scope, send, 400, "the Content-Length header is not a number")
                return
            if declared_bytes > self.max_bytes:
                await _plain_error(scope, send, 413, _too_large_message(self.max_bytes))
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _plain_error(scope, send, 413, _too_large_message(self.max_bytes))


async def _plain_error(scope: Scope, send: Send, status: int, message: str) -> None:
    """An error answered before routing: JSON for the API, a small page for the rest."""
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    else:
        body = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error {status}</title>'
                f'<link rel="stylesheet" href="/static/app.css"></head><body><main class="page">'
                f'<h1>Error {status}</h1><p role="alert">{escape(message)}</p><p><a href="/">Back to Analyse</a></p>'
                f"</main></body></html>").encode()
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------------------------------
# The analysis service: worker processes that can be stopped at the time limit, behind a bounded queue.

RETRY_AFTER_S = 5  # what a 503 tells the client to wait: short analyses free a worker in well under that


class AnalysisService:
    """Runs analyses for the app. With `settings.workers` ≥ 1 (the default), in a `WorkerPool` of processes;
    with 0, or with a `pipeline` already loaded in this process (tests, embedding), on one thread here."""

    def __init__(self, settings: WebSettings, pipeline: Any = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.pool: WorkerPool | None = None
        if pipeline is None and settings.workers > 0:
            self.pool = WorkerPool(settings.workers, settings.stages, settings.config)
        self.executor = self._new_executor()
        self.in_flight = 0  # requests running or waiting for a worker

    @property
    def capacity(self) -> int:
        return (self.pool.size if self.pool else 1) + self.settings.max_queued

    @staticmethod
    def _new_executor() -> ThreadPoolExecutor:
        # One thread: the pipeline's models are shared and not promised thread-safe; requests queue.
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sourcetrace-analyse")

    async def start(self) -> None:
        if self.pool is not None:
            await self.pool.start()
            return
        if self.executor._shutdown:  # started again after a shutdown (tests, embedding servers)
            self.executor = self._new_executor()
        if self.pipeline is None:
            await asyncio.get_running_loop().run_in_executor(
                self.executor, lambda: setattr(self, "pipeline", load_pipeline(self.settings.stages,
                                                                               self.settings.config)))

    def status(self) -> dict[str, Any]:
        if self.pool is not None:
            return {"workers": self.pool.size, "workers_ready": self.pool.ready, "workers_idle": self.pool.idle,
                    "workers_replaced": self.pool.replaced, "max_queued": self.settings.max_queued,
                    "in_flight": self.in_flight}
        return {"workers": 0, "max_queued": self.settings.max_queued, "in_flight": self.in_flight}

    async def analyze(self, article: ArticleInfo) -> Analysis:
        timeout = self.settings.analysis_timeout_s
        if self.in_flight >= self.capacity:
            raise _busy(f"the server is busy: {self.in_flight} analyses are running or waiting, the most it takes "
                        "(serve --workers, --queue); try again shortly")
        self.in_flight += 1
        try:
            if self.pool is not None:
                # a request waits for a worker at most as long as an analysis may run
                return await self.pool.analyze(article, timeout, wait_s=timeout)
            future = asyncio.get_running_loop().run_in_executor(self.executor, self.pipeline.analyze, article)
            return await asyncio.wait_for(future, timeout)
        except (asyncio.TimeoutError, AnalysisTimedOut):
            raise HTTPException(
                504, f"the analysis took longer than the limit of {timeout:g} s (serve --timeout); "
                "try a shorter text") from None
        except PoolBusy:
            raise _busy(f"no analysis worker became free within {timeout:g} s; try again shortly") from None
        except AnalysisFailed as error:
            raise HTTPException(500, str(error)) from None
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


def _busy(message: str) -> HTTPException:
    return HTTPException(503, message, headers={"Retry-After": str(RETRY_AFTER_S)})


InputKind = Literal["auto", "text", "html"]


def looks_like_html(text: str, filename: str | None = None) -> bool:
    if filename and filename.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "<head" in head)


def build_article(
    raw: str,
    kind: InputKind,
    *,
    source: str,
    article_id: str | None = None,
    title: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    filename: str | None = None,
) -> ArticleInfo:
    """An article from pasted or uploaded text or HTML; InputError with a clear message otherwise."""
    title, published, outlet, url, article_id = (
        (value.strip() or None) if isinstance(value, str) else value
        for value in (title, published, outlet, url, article_id)
    )
    if not raw or not raw.strip():
        raise InputError(source, "the article text is empty")
    published = normalise_date(published, "published") if published else None
    if kind == "html" or (kind == "auto" and looks_like_html(raw, filename)):
        options = ReadOptions(published=published, outlet=outlet, url=url)
        digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        article = extract(raw, source, article_id or f"html_{digest}", options)
        if title:
            article = article.model_copy(update={"title": title})
        return article
    return make_article(raw, id=article_id, title=title, published=published, outlet=outlet, url=url)


def decode_upload(data: bytes, source: str, charset: str | None = None) -> str:
    """Bytes to text: with the charset the client named, else UTF-8 or a detected encoding."""
    if charset is None:
        return decode(data, source)
    if not data.strip():
        raise InputError(source, "the article text is empty")
    # the UTF-8 codec that also drops a byte-order mark, as the detecting path does
    codec = "utf-8-sig" if codecs.lookup(charset).name == "utf-8" else charset
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise InputError(source, f"the text is not valid {charset} (byte {error.start}: {error.reason}); "
                                 "name the charset it is written in") from None
    if "\x00" in text[:8192]:
        raise InputError(source, "this looks like binary data, not text (it contains NUL characters)")
    return text


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any; HTTPException 415 when Python knows no such
    text encoding."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            continue
        value = value.strip().strip('"').strip()
        if not value:
            return None
        try:
            known = codecs.lookup(value)._is_text_encoding  # base64, rot13 and the like are not text encodings
        except LookupError:
            known = False
        if not known:
            raise HTTPException(415, f"unsupported charset {value!r}: send UTF-8, or name an encoding such as "
                                     "latin-1, windows-1252 or utf-16")
        return value
    return None


# --------------------------------------------------------------------------------------------------
# The app.


def create_app(settings: WebSettings | None = None, pipeline: Any = None) -> FastAPI:
    """The FastAPI app. `pipeline` lets a caller share one already loaded (tests, embedding); it then analyses
    in this process, like `workers=0`. Otherwise the worker processes are spawned at startup, so a script that
    serves the app must start it under `if __name__ == "__main__":` (spawn imports the main module again)."""
    settings = settings or WebSettings()
    service = AnalysisService(settings, pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        app.state.corpus = _open_corpus(settings.db) if settings.db else None
        try:
            yield
        finally:
            service.close()
            if app.state.corpus is not None and hasattr(app.state.corpus, "close"):
                app.state.corpus.close()

    app = FastAPI(
        title="sourcetrace",
        version=__version__,
        description="Reads news articles the way a verification desk does: who says what, through whom, "
                    "with evidence offsets. Nothing is fetched: URLs in the input are metadata.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.corpus = None
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["inert"] = inert
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    layers_css = resources.files("sourcetrace.report").joinpath("templates", "layers.css").read_text(encoding="utf-8")

    # The report's layer palette, served rather than copied so both views keep the same colours.
    @app.get("/static/layers.css", include_in_schema=False)
    async def layer_palette() -> Response:
        return Response(layers_css, media_type="text/css")

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api/") and request.url.path != "/openapi.json"

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        context = {"corpus_loaded": app.state.corpus is not None, "path": request.url.path, **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if wants_html(request):
            return page(request, "error.html", {"status": error.status_code, "message": error.detail},
                        error.status_code)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        message = "; ".join(_describe_validation(problem) for problem in error.errors()[:5])
        if wants_html(request):
            return page(request, "error.html", {"status": 422, "message": message}, 422)
        return JSONResponse({"detail": message}, status_code=422)

    errors = {
        400: {"model": ErrorBody, "description": "malformed request"},
        413: {"model": ErrorBody, "description": "request body above the size limit"},
        415: {"model": ErrorBody, "description": "unsupported content type"},
        422: {"model": ErrorBody, "description": "the input is not an article (empty, binary, no main text, bad date)"},
        500: {"model": ErrorBody, "description": "the analysis failed, or its worker process died"},
        503: {"model": ErrorBody, "description": "every worker busy and the queue full (or no worker free in "
                                                 "time); the Retry-After header says when to try again"},
        504: {"model": ErrorBody, "description": "the analysis ran past the time limit"},
    }

    @app.post(
        "/api/analyze",
        summary="Analyse one article",
        response_model=Analysis,
        response_model_by_alias=True,
        responses=errors,
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
        article = await _article_from_request(request)
        analysis = await service.analyze(article)
        return JSONResponse(analysis.to_dict())

    @app.get("/api/health", summary="Liveness and what is loaded", tags=["meta"])
    async def api_health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "corpus": app.state.corpus is not None,
                "max_request_bytes": settings.max_request_bytes, "analysis_timeout_s": settings.analysis_timeout_s,
                **service.status()}

    async def _article_from_request(request: Request) -> ArticleInfo:
        content_type_header = request.headers.get("content-type", "")
        content_type = content_type_header.split(";")[0].strip().lower()
        charset = charset_of(content_type_header)
        query = request.query_params
        meta = {key: query.get(key) for key in ("title", "published", "outlet", "url")}
        try:
            if content_type == "application/json":
                body: bytes | str = await request.body()
                if charset is not None:
                    body = decode_upload(body, "request body", charset)
                try:
                    payload = AnalyzeRequest.model_validate_json(body)
                except ValidationError as error:
                    if any(problem.get("type") == "json_invalid" for problem in error.errors()):
                        raise HTTPException(400, "the body is not valid JSON: " + _first_line(error)) from None
                    raise HTTPException(422, "the JSON body is not an analyse request: "
                                        + _first_line(error)) from None
                if (payload.text is None) == (payload.html is None):
                    raise HTTPException(422, 'give exactly one of "text" or "html"')
                return build_article(
                    payload.text if payload.text is not None else payload.html,
                    "text" if payload.text is not None else "html", source="request",
                    article_id=payload.id, title=payload.title, published=payload.published,
                    outlet=payload.outlet, url=payload.url)
            if content_type in ("text/plain", "text/html", ""):
                raw = decode_upload(await request.body(), "request body", charset)
                return build_article(raw, "html" if content_type == "text/html" else "text", source="request body",
                                     article_id=query.get("id"), **meta)
            if content_type == "multipart/form-data":
                return await _article_from_form(request, "request")
        except InputError as error:
            raise HTTPException(422, str(error)) from None
        raise HTTPException(415, f"unsupported content type {content_type!r}: send application/json, text/plain, "
                                 "text/html or multipart/form-data")

    async def _article_from_form(request: Request, source: str) -> ArticleInfo:
        form = await request.form()
        upload = form.get("file")
        kind = str(form.get("format") or "auto")
        if kind not in ("auto", "text", "html"):
            raise HTTPException(422, f"format must be auto, text or html, not {kind!r}")
        fields = {key: (str(form.get(key)) if form.get(key) is not None else None)
                  for key in ("title", "published", "outlet", "url")}
        fields["article_id"] = str(form.get("id")) if form.get("id") else None
        if upload is not None and not isinstance(upload, str) and upload.filename:
            name = upload.filename
            charset = charset_of(upload.headers.get("content-type", "")) if upload.headers else None
            raw = decode_upload(await upload.read(), name, charset)
            return build_article(raw, kind, source=name, filename=name, **fields)  # type: ignore[arg-type]
        # Browsers submit a textarea's line breaks as CRLF; the article the user pasted had plain newlines.
        text = str(form.get("text") or "").replace("\r\n", "\n")
        return build_article(text, kind, source=source, **fields)  # type: ignore[arg-type]

    # ---------------------------------------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_page(request: Request) -> HTMLResponse:
        return page(request, "analyse.html", {"form": {}, "view": None})

    @app.post("/analyse", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_submit(request: Request) -> HTMLResponse:
        form = await request.form()
        form_values = {key: str(form.get(key) or "") for key in ("text", "title", "published", "outlet", "url",
                                                                 "format")}
        try:
            article = await _article_from_form(request, "pasted text")
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

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs_page(request: Request) -> HTMLResponse:
        return page(request, "docs.html", {"operations": _operations(app.openapi())})

    add_corpus_routes(app, page)
    return app


def _open_corpus(db: str | Path) -> Any:
    return CorpusStore.open(db)


def _first_line(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        return "; ".join(_describe_validation(problem) for problem in errors()[:3])
    return str(error).splitlines()[0]


def _describe_validation(problem: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body",))
    return f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid"))


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

