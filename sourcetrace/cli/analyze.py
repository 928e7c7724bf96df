"""`sourcetrace analyze`, `schema` and `version`: a thin shell over the Python API."""

# The commands import the pipeline, stores and readers when they run: `sourcetrace --help` stays fast, loading
# none of spaCy, onnxruntime, DuckDB or FastAPI.
from __future__ import annotations

import enum
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis, ArticleInfo
from sourcetrace.cli.console import CONFIG_OPTION, PROFILE_OPTION, err, fail
from sourcetrace.errors import InputError, SourcetraceError
from sourcetrace.report.coverage import failure_lines


class OutputFormat(str, enum.Enum):
    json = "json"
    jsonl = "jsonl"
    html = "html"
    text = "text"




def analyze(
    paths: list[str] = typer.Argument(..., help="Files (.txt .html .htm .jsonl .csv ...), folders, or - for stdin."),
    format: OutputFormat | None = typer.Option(
        None, "--format", "-f", help="json, jsonl, html or text (default: text on a terminal, else json)."
    ),
    out_arg: str | None = typer.Option(
        None, "--out", "-o",
        help="Output file; or a folder (existing, or ending in /): then <id>.json and <id>.html per article.",
    ),
    published: str | None = typer.Option(None, help="Publication date YYYY-MM-DD (overrides the input's)."),
    outlet: str | None = typer.Option(None, help="Outlet name (overrides the input's)."),
    url: str | None = typer.Option(None, help="Article URL, as metadata only: never fetched."),
    id_field: str = typer.Option("id", help="Record field holding the article id (JSONL, CSV)."),
    text_field: str = typer.Option("text", help="Record field holding the article text."),
    title_field: str = typer.Option("title", help="Record field holding the title."),
    published_field: str = typer.Option("published", help="Record field holding the publication date."),
    outlet_field: str = typer.Option("outlet", help="Record field holding the outlet."),
    url_field: str = typer.Option("url", help="Record field holding the URL."),
    errors: Path | None = typer.Option(None, help="Also write the inputs that failed here, as JSON Lines."),
    gazetteer: list[Path] | None = typer.Option(
        None, "--gazetteer", help="Extra gazetteer file (YAML/CSV) for entity linking; repeatable."
    ),
    language: str | None = typer.Option(None, "--language", help="The articles' language (ISO 639-1: en, ru, uk ...) "
                                        "instead of the detected one."),
    profile: str | None = PROFILE_OPTION,
    config_file: Path | None = CONFIG_OPTION,
    device: str = typer.Option("cpu", help="Where the models run: cpu, or cuda (needs the `gpu` extra)."),
) -> None:
    """Analyse articles and print or write the evidence-linked analysis."""
    from sourcetrace._ml.onnx import use_device
    from sourcetrace.ingest import FieldMap, ReadOptions, read_inputs
    from sourcetrace.ingest.common import normalise_date
    from sourcetrace.pipeline.registry import LANGUAGE_NAMES
    from sourcetrace.pipeline.run import load_pipeline
    from sourcetrace.pipeline.settings import settings_from_options

    try:
        options = ReadOptions(
            fields=FieldMap(id_field, text_field, title_field, published_field, outlet_field, url_field),
            published=normalise_date(published, "--published") if published else None,
            outlet=outlet,
            url=url,
        )
        # settings are checked before any input is read: a typo fails at once, not after the inputs
        extra = {"entities": {"gazetteer": [str(p) for p in gazetteer]}} if gazetteer else None
        if language is not None and language not in LANGUAGE_NAMES:
            raise SourcetraceError(f"--language {language!r}: not one of {', '.join(LANGUAGE_NAMES)}")
        settings = settings_from_options(profile, config_file, extra)
        use_device(device)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None

    articles: list[ArticleInfo] = []
    failures: list[InputError] = []
    for item in read_inputs(paths, options):
        if isinstance(item, InputError):
            failures.append(item)
            err.print(f"[red]error:[/] {item}", highlight=False, soft_wrap=True)
        else:
            articles.append(item.model_copy(update={"language": language}) if language else item)

    analyses: list[Analysis] = []
    if articles:
        try:
            pipeline = load_pipeline(config=settings)
        except SourcetraceError as error:
            raise fail(str(error)) from None
        analyses = _run_with_progress(pipeline, articles)

    # Path() drops a trailing slash, so the folder intent is read from the raw argument
    out = Path(out_arg) if out_arg else None
    folder_output = out is not None and (out.is_dir() or out_arg.endswith(("/", "\\")))
    if folder_output:
        _write_folder(analyses, out, format)
        if format in (None, OutputFormat.text):
            _print_text(analyses)
    else:
        chosen = format or (OutputFormat.text if sys.stdout.isatty() and out is None else OutputFormat.json)
        _write(analyses, chosen, out)

    if errors is not None:
        with errors.open("w", encoding="utf-8") as stream:
            for failure in failures:
                stream.write(json.dumps(failure.to_dict(), ensure_ascii=False) + "\n")
    stage_failures = [line for analysis in analyses for line in failure_lines(analysis)]
    for line in stage_failures:
        err.print(f"[red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if errors is not None:
        with errors.open("a", encoding="utf-8") as stream:
            for analysis in analyses:
                for problem in analysis.meta.failed_stages:
                    stream.write(json.dumps({"source": analysis.article.id, "line": None, "record": analysis.article.id,
                                             "stage": problem.stage, "error": problem.reason},
                                            ensure_ascii=False) + "\n")
    if failures or stage_failures:
        if len(paths) > 1 or len(failures) + len(stage_failures) > 1 or analyses:
            failed_articles = sum(1 for analysis in analyses if analysis.meta.failed_stages)
            err.print(f"[bold red]{len(failures)} input(s) failed[/], {len(analyses)} analysed"
                      f"{f', {failed_articles} of them with a failed stage' if failed_articles else ''}:",
                      highlight=False)
            for failure in failures:
                err.print(f"  {failure}", highlight=False, soft_wrap=True, markup=False)
            for line in stage_failures:
                err.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)


def _run_with_progress(pipeline, articles: list[ArticleInfo]) -> list[Analysis]:  # noqa: ANN001
    """Batches of 1, 2, 4, ... 16 articles, so that progress, rate and ETA show from the first article on."""
    if len(articles) < 2:
        return pipeline.analyze_batch(articles)
    from sourcetrace.cli.console import ArticleProgress

    results: list[Analysis] = []
    progress = ArticleProgress(len(articles))
    try:
        start, size = 0, 1
        while start < len(articles):
            batch = articles[start : start + size]
            results.extend(pipeline.analyze_batch(batch))
            progress.advance(len(batch))
            start, size = start + len(batch), min(BATCH_SIZE, size * 2)
    finally:
        progress.close()
    return results


BATCH_SIZE = 16


def _print_text(analyses: list[Analysis]) -> None:
    from sourcetrace.report.text import print_summary

    console = Console()
    for analysis in analyses:
        print_summary(analysis, console)


def _write(analyses: list[Analysis], fmt: OutputFormat, out: Path | None) -> None:
    from sourcetrace.report.html import render_html
    from sourcetrace.report.json import write_json, write_jsonl

    if fmt is OutputFormat.text:
        if out is None:
            _print_text(analyses)
            return
        from sourcetrace.report.text import summary

        with out.open("w", encoding="utf-8") as stream:
            console = Console(file=stream, width=120, force_terminal=False)
            for analysis in analyses:
                console.print(summary(analysis))
        return
    if fmt is OutputFormat.html:
        if len(analyses) > 1 and out is not None:
            raise fail("several articles with --format html need --out to be a folder (end it with /)", 2)
        text = "\n".join(render_html(a) for a in analyses)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        return
    writer = write_jsonl if fmt is OutputFormat.jsonl else write_json
    if not analyses:
        return
    if out is None:
        writer(analyses, sys.stdout)
    else:
        with out.open("w", encoding="utf-8") as stream:
            writer(analyses, stream)


def _write_folder(analyses: list[Analysis], folder: Path, fmt: OutputFormat | None) -> None:
    from sourcetrace.report.html import render_html

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for analysis in analyses:
        safe_id = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in analysis.article.id) or "article"
        if fmt in (None, OutputFormat.text, OutputFormat.json, OutputFormat.jsonl):
            path = folder / f"{safe_id}.json"
            path.write_text(analysis.to_json(indent=2), encoding="utf-8")
            written.append(path)
        if fmt in (None, OutputFormat.text, OutputFormat.html):
            path = folder / f"{safe_id}.html"
            path.write_text(render_html(analysis), encoding="utf-8")
            written.append(path)
    for path in written:
        err.print(f"wrote {path}", highlight=False)


def schema(out: Path | None = typer.Option(None, help="Write to this file instead of stdout.")) -> None:
    """Print the JSON Schema of the analysis output (sourcetrace/analysis/v1)."""
    from sourcetrace.analysis import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command()(schema)
    app.command()(version)
