"""Corpus commands: `run` (analyse a corpus into a store), `query` (SQL), and `claims`, `clusters`, `sources`."""

# The commands import the pipeline, stores and readers when they run: `sourcetrace --help` stays fast, loading
# none of spaCy, onnxruntime, DuckDB or FastAPI.
from __future__ import annotations

import enum
import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from sourcetrace.cli.console import CONFIG_OPTION, PROFILE_OPTION, err, fail
from sourcetrace.errors import InputError, SourcetraceError


class Engine(str, enum.Enum):
    pool = "pool"
    ray = "ray"


class TableFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    json = "json"




def _failed(numbers: dict) -> str:
    """`3 failed (2 input, 1 with a failed stage); `, or `0 failed; `."""
    parts = [f"{numbers[key]} {label}" for key, label in (
        ("input_errors", "input"), ("analysis_errors", "not analysed"), ("stage_failures", "with a failed stage"))
        if numbers[key]]
    return f"{numbers['failed']} failed" + (f" ({', '.join(parts)})" if parts else "") + "; "


def _open(db: str):  # noqa: ANN202
    from sourcetrace.corpus.store import CorpusStore

    try:
        return CorpusStore.open(db)
    except SourcetraceError as error:
        raise fail(str(error)) from None


def _print_rows(rows: list[dict], fmt: TableFormat, out: Path | None) -> None:  # noqa: UP007
    import pyarrow as pa

    if out is not None:
        from sourcetrace.corpus.store import export_table

        flat = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in r.items()}
                for r in rows]
        try:
            export_table(pa.Table.from_pylist(flat), out)
        except SourcetraceError as error:
            raise fail(str(error), 2) from None
        err.print(f"wrote {len(rows)} rows to {out}", highlight=False)
        return
    if fmt is TableFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt is TableFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str, indent=2) + "\n")
    elif fmt is TableFormat.csv:
        import csv

        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
    else:
        from rich.table import Table

        table = Table(show_lines=False)
        columns = list(rows[0]) if rows else []
        for column in columns:
            table.add_column(column, overflow="fold", max_width=60)
        for row in rows:
            table.add_row(*[_cell(row[c]) for c in columns])
        Console().print(table)
        err.print(f"{len(rows)} row(s)", highlight=False)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


DB_OPTION = typer.Option("corpus", "--db", help="Corpus folder written by `sourcetrace run`, or a postgresql:// URL.")
FORMAT_OPTION = typer.Option(TableFormat.table, "--format", "-f", help="table, csv, json or jsonl on stdout.")
OUT_OPTION = typer.Option(None, "--out", "-o", help="Export to a file: .csv, .parquet or .jsonl.")


def run(
    inputs: list[str] = typer.Argument(..., help="JSONL, CSV, Parquet, WARC files, or folders of .txt/.html."),
    out: Path = typer.Option(..., "--out", "-o", help="Corpus folder: shards, DuckDB database, errors file."),
    engine: Engine = typer.Option(Engine.pool, help="pool (this machine) or ray (Ray actors, local or a cluster)."),
    address: str | None = typer.Option(None, help="Ray cluster address (with --engine ray); default: local."),  # noqa: UP007
    workers: int | None = typer.Option(  # noqa: UP007
        None, help="Worker processes (ray: actors); default: one per core but one; 0: in this process."
    ),
    task_size: int = typer.Option(64, help="Articles per task (one shard per task)."),
    stages: str | None = typer.Option(  # noqa: UP007
        None, help="Comma-separated pipeline stages (default: all); 'none' runs no stage (engine overhead)."
    ),
    store: str | None = typer.Option(  # noqa: UP007
        None, help="Where the tables go: default the --out folder; or postgresql://user@host/db."
    ),
    no_embed: bool = typer.Option(False, "--no-embed", help="Do not embed claims (no claim clusters)."),
    progress: bool = typer.Option(True, help="Show progress (articles/s, ETA)."),
    id_field: str = typer.Option("id", help="Record field holding the article id (JSONL, CSV, Parquet)."),
    text_field: str = typer.Option("text", help="Record field holding the article text."),
    title_field: str = typer.Option("title", help="Record field holding the title."),
    published_field: str = typer.Option("published", help="Record field holding the publication date."),
    outlet_field: str = typer.Option("outlet", help="Record field holding the outlet."),
    url_field: str = typer.Option("url", help="Record field holding the URL."),
    profile: str | None = PROFILE_OPTION,  # noqa: UP007
    config_file: Path | None = CONFIG_OPTION,  # noqa: UP007
    mixed_settings: bool = typer.Option(
        False, "--mixed-settings",
        help="Resume even though the stored articles were analysed with other settings (refused otherwise).",
    ),
) -> None:
    """Analyse a corpus into sharded Parquet tables and a DuckDB database; rerun to resume."""
    from sourcetrace.corpus.engines._task import default_workers
    from sourcetrace.corpus.runner import RunOptions, run_corpus
    from sourcetrace.ingest import FieldMap, ReadOptions
    from sourcetrace.pipeline.settings import settings_from_options

    chosen_stages: tuple[str, ...] | None = None
    if stages is not None:
        chosen_stages = () if stages.strip().lower() == "none" else tuple(
            s.strip() for s in stages.split(",") if s.strip()
        )
    if task_size < 1:
        raise fail("--task-size must be at least 1", 2)
    try:
        settings = settings_from_options(profile, config_file)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    options = RunOptions(
        store=store or str(out),
        stages=chosen_stages,
        task_size=task_size,
        workers=default_workers() if workers is None else workers,
        embed_claims=not no_embed,
        config=settings,
    )
    read_options = ReadOptions(
        fields=FieldMap(id_field, text_field, title_field, published_field, outlet_field, url_field)
    )
    try:
        summary = run_corpus(
            inputs, out, options, engine=engine.value, address=address, read_options=read_options,
            progress=progress, allow_mixed_settings=mixed_settings,
        )
    except (SourcetraceError, InputError) as error:
        raise fail(str(error)) from None
    numbers = summary.to_dict()
    err.print(
        f"{numbers['analysed']} analysed, {numbers['skipped']} already done, {_failed(numbers)}"
        f"{numbers['articles_per_second']} articles/s; peak memory per worker "
        f"{numbers['peak_rss_mb_per_worker']} MB; {numbers['duplicates']} duplicates, "
        f"{numbers['clusters']} claim clusters. Database: {out / 'corpus.duckdb'}",
        highlight=False,
    )
    if summary.warned:
        err.print(f"{summary.warned} article(s) read with a warning (meta.warnings), e.g. a date that could not "
                  "be read: stored without it", highlight=False)
    if summary.failed:
        err.print(f"[bold red]{summary.failed} failed[/]: the table `errors` and {out / 'errors.jsonl'} name "
                  "each record and the cause", highlight=False)
        raise typer.Exit(1)


def query(
    sql: str = typer.Argument(..., help="SQL over articles, attributions, claims, entities, techniques, framing, "
                              "findings, errors, duplicates, clusters, cluster_members, source_edges."),
    db: str = DB_OPTION,
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """Run SQL over a corpus; print it or export it (CSV, Parquet, JSONL)."""
    store = _open(db)
    try:
        table = store.query(sql)
    except Exception as error:  # noqa: BLE001 - the database's message says what is wrong with the SQL
        raise fail(f"query failed: {str(error).splitlines()[0]}", 2) from None
    if out is not None:
        from sourcetrace.corpus.store import export_table

        try:
            export_table(table, out)
        except SourcetraceError as error:
            raise fail(str(error), 2) from None
        err.print(f"wrote {table.num_rows} rows to {out}", highlight=False)
        return
    from sourcetrace.corpus.store import _rows

    _print_rows(_rows(table), fmt, None)


def claims(
    db: str = DB_OPTION,
    speaker: str | None = typer.Option(None, help="Speaker name contains this."),  # noqa: UP007
    source_kind: str | None = typer.Option(None, help="named_person, anonymous, ..."),  # noqa: UP007
    outlet: str | None = typer.Option(None, help="Outlet contains this."),  # noqa: UP007
    since: str | None = typer.Option(None, help="Published on or after YYYY-MM-DD."),  # noqa: UP007
    until: str | None = typer.Option(None, help="Published on or before YYYY-MM-DD."),  # noqa: UP007
    technique: str | None = typer.Option(None, help="Overlaps a persuasion technique of this name."),  # noqa: UP007
    narrative: str | None = typer.Option(None, help="Matches a known narrative with this name."),  # noqa: UP007
    has_finding: bool | None = typer.Option(None, "--has-finding/--no-finding", help="With / without findings."),  # noqa: UP007
    search: str | None = typer.Option(None, help="Claim text contains this."),  # noqa: UP007
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """Claims in the corpus, filtered by speaker, outlet, dates, technique, narrative, findings, text."""
    store = _open(db)
    try:
        rows = store.claims(
            speaker=speaker, source_kind=source_kind, outlet=outlet, since=since, until=until,
            technique=technique, narrative=narrative, has_finding=has_finding, search=search, limit=limit,
            offset=offset,
        )
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    _print_rows(rows, fmt, out)


def clusters(
    db: str = DB_OPTION,
    since: str | None = typer.Option(None, help="Clusters seen on or after YYYY-MM-DD."),  # noqa: UP007
    cluster_id: str | None = typer.Option(None, "--id", help="Show one cluster's timeline."),  # noqa: UP007
    min_articles: int = typer.Option(2, help="Only clusters carried by at least this many articles."),
    limit: int = typer.Option(50),
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """Claim clusters: the same claim across articles, first seen where and when, carried by whom."""
    store = _open(db)
    try:
        if cluster_id:
            found = store.cluster(cluster_id)
            if found is None:
                raise fail(f"no cluster {cluster_id!r}", 1)
            _print_rows(found.pop("members"), fmt, out)
            err.print(json.dumps({k: found[k] for k in ("cluster_id", "label", "first_outlet", "first_published",
                                                         "n_articles", "n_outlets")}, default=str))
            return
        rows = store.clusters(since=since, limit=limit, min_articles=min_articles)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    if fmt is TableFormat.table and out is None:
        keep = ("cluster_id", "label", "first_outlet", "first_published", "n_articles", "n_independent_articles",
                "n_outlets", "numbers_changed", "narratives")
        rows = [{k: row[k] for k in keep} for row in rows]
    _print_rows(rows, fmt, out)


def sources(
    db: str = DB_OPTION,
    name: str | None = typer.Option(None, "--name", help="Edges whose source or target contains this."),  # noqa: UP007
    limit: int = typer.Option(100),
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """The source graph: who is relayed through which channel and outlet, with counts."""
    store = _open(db)
    _print_rows(store.sources(limit=limit, source=name), fmt, out)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(query)
    app.command()(claims)
    app.command()(clusters)
    app.command()(sources)
