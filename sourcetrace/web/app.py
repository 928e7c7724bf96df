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
import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.corpus.store import _DESCENDING_FIRST as DESCENDING_FIRST
from sourcetrace.corpus.store import CorpusStore
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.web.articles import describe_validation
from sourcetrace.web.render import inert, inline_code
from sourcetrace.web.routes.api import add_api_routes
from sourcetrace.web.routes.corpus import add_corpus_routes, sort_link
from sourcetrace.web.routes.pages import add_page_routes
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
    templates.env.filters["inline_code"] = inline_code
    templates.env.globals["version"] = __version__
    templates.env.globals["sort_link"] = sort_link
    templates.env.globals["descending_first"] = DESCENDING_FIRST
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
        message = "; ".join(describe_validation(problem) for problem in error.errors()[:5])
        if wants_html(request):
            return page(request, "error.html", {"status": 422, "message": message}, 422)
        return JSONResponse({"detail": message}, status_code=422)

    add_api_routes(app, service, settings)
    add_page_routes(app, service, page)
    add_corpus_routes(app, page)
    return app


def _open_corpus(db: str | Path) -> Any:
    return CorpusStore.open(db)


