"""`sourcetrace serve`: the web app and HTTP API on uvicorn."""

# The commands import the pipeline, stores and readers when they run: `sourcetrace --help` stays fast, loading
# none of spaCy, onnxruntime, DuckDB or FastAPI.
from __future__ import annotations

from pathlib import Path

import typer

from sourcetrace.cli.console import CONFIG_OPTION, PROFILE_OPTION, fail
from sourcetrace.errors import SourcetraceError


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    db: str | None = typer.Option(  # noqa: UP007
        None, "--db", help="A corpus folder from `sourcetrace run --out DIR`, or a postgresql:// URL."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    max_request_mb: float = typer.Option(2.0, help="Largest request body accepted, in MB (10^6 bytes)."),
    timeout: float = typer.Option(
        120.0, help="Seconds one analysis may take before the request gets 504 (its worker is killed and replaced)."),
    workers: int = typer.Option(
        2, help="Analysis worker processes, each holding the models (about 600 MB); 0: analyse in the server "
                "process, one at a time, where an analysis past --timeout cannot be stopped."),
    queue: int = typer.Option(16, help="Requests that may wait for a free worker; more get 503 with Retry-After."),
    profile: str | None = PROFILE_OPTION,  # noqa: UP007
    config_file: Path | None = CONFIG_OPTION,  # noqa: UP007
) -> None:
    """Serve the web app and HTTP API (Analyse page, corpus pages, /api/..., docs at /docs)."""
    import uvicorn

    from sourcetrace.web.app import MB, WebSettings, create_app

    if max_request_mb <= 0 or timeout <= 0:
        raise typer.BadParameter("--max-request-mb and --timeout must be positive")
    if workers < 0 or queue < 0:
        raise typer.BadParameter("--workers and --queue must be 0 or more")
    if db is not None:
        from sourcetrace.corpus.store import CorpusStore

        CorpusStore.open(db).close()  # a clear error now rather than a traceback from the server's startup
    from sourcetrace.pipeline.settings import settings_from_options

    try:
        stage_settings = settings_from_options(profile, config_file)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    settings = WebSettings(db=db, max_request_bytes=int(max_request_mb * MB), analysis_timeout_s=timeout,
                           config=stage_settings, workers=workers, max_queued=queue)
    loading = f"starting {workers} analysis workers" if workers else "loading the pipeline"
    typer.echo(f"sourcetrace: {loading}, then serving on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", server_header=False)
