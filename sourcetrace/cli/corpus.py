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
from rich.markup import escape

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


# Columns a table shows by default (every column stays in csv/json/jsonl and --columns can name any of them).
CLAIM_TABLE_COLUMNS = ("checkworthiness", "speaker", "kind", "text", "outlet", "published", "factcheck")
# Short headers keep a table readable at 100 columns.
HEADERS = {"checkworthiness": "score", "n_attributions": "attrib.", "n_articles": "articles",
           "n_independent_articles": "indep.", "first_published": "first", "last_published": "last",
           "source_kind": "kind", "target_kind": "via", "n_outlets": "outlets", "n_claims": "claims",
           "n_clusters": "clusters", "numbers_changed": "numbers differ", "first_outlet": "first in",
           "published": "date",
           "factcheck": "fact-check"}
# A fact-check status in a table cell: the finding kind in a word.
FACTCHECK_WORDS = {"refutes_checked_claim": "denies", "reports_checked_claim": "reports", "factcheck_match": "match",
                   "related_factcheck": "related"}
# Columns that may wrap; the others stay on one line (cut with … when too wide).
WRAPPING = {"text", "label", "content", "message", "error", "title", "narratives", "claim"}
CELL_LIMIT = 200


def _choose_columns(rows: list[dict], columns: str | None, default: tuple[str, ...] | None = None) -> list[dict]:
    """The columns asked for with --columns (comma-separated), else `default` for a table, else all."""
    if columns is None and default is None:
        return rows
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else list(default or ())
    if rows:
        unknown = [c for c in wanted if c not in rows[0]]
        if unknown:
            raise fail(f"unknown column(s) {', '.join(unknown)}: choose from {', '.join(rows[0])}", 2)
    return [{c: row[c] for c in wanted} for row in rows]


def _print_rows(rows: list[dict], fmt: TableFormat, out: Path | None, total: int | None = None,  # noqa: UP007
                offset: int = 0) -> None:
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
        _say_if_cut(len(rows), total, offset)
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

        columns = list(rows[0]) if rows else []
        table = Table(show_lines=False, pad_edge=False, collapse_padding=True,
                      expand=any(c in WRAPPING for c in columns))
        for column in columns:
            if column in WRAPPING:
                table.add_column(HEADERS.get(column, column), overflow="fold", ratio=3, min_width=20)
            else:
                table.add_column(HEADERS.get(column, column), no_wrap=True, overflow="ellipsis", max_width=24)
        shortened = 0
        for row in rows:
            cells = []
            for c in columns:
                text = _cell(row[c])
                if len(text) > CELL_LIMIT:
                    text, shortened = text[: CELL_LIMIT - 1] + "…", shortened + 1
                cells.append(text)
            table.add_row(*cells)
        Console().print(table)
        err.print(f"{len(rows)} row(s)", highlight=False)
        if shortened:
            err.print(f"{shortened} cell(s) longer than {CELL_LIMIT} characters end in …: -f json shows them whole",
                      highlight=False)
    _say_if_cut(len(rows), total, offset)


def _say_if_cut(shown: int, total: int | None, offset: int) -> None:
    """A listing cut by --limit says so, with how many there are."""
    if total is not None and offset + shown < total:
        err.print(f"showing {offset + 1}–{offset + shown} of {total}: --limit and --offset show more",
                  highlight=False)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, dict)):
        if isinstance(value, list) and all(isinstance(v, dict) and "span" in v for v in value):
            return ", ".join(v["span"].get("text", "") for v in value)  # quantities and dates: their words
        return json.dumps(value, ensure_ascii=False)
    return str(value)


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
    if numbers["analysed"]:
        speed = (f"{numbers['articles_per_second']} articles/s; peak memory per worker "
                 f"{numbers['peak_rss_mb_per_worker']} MB; ")
    else:  # a resume with nothing left to do measured no speed: say so rather than print zeros
        speed = "nothing new to analyse; "
    err.print(
        f"{numbers['analysed']} analysed, {numbers['skipped']} already done, {_failed(numbers)}{speed}"
        f"{numbers['duplicates']} duplicates, {numbers['clusters']} claim clusters (carried by 2+ articles). "
        f"Database: {out / 'corpus.duckdb'}",
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


class ClaimSort(str, enum.Enum):
    published = "published"
    checkworthiness = "checkworthiness"
    speaker = "speaker"
    outlet = "outlet"
    kind = "kind"


def claims(
    db: str = DB_OPTION,
    speaker: str | None = typer.Option(None, help="Speaker name contains this (merged names: Peskov finds "  # noqa: UP007
                                       "Dmitry Peskov)."),
    source_kind: str | None = typer.Option(None, help="named_person, anonymous, ..."),  # noqa: UP007
    kind: str | None = typer.Option(None, "--kind", help="Claim kind: event, statistic, causal, prediction, "  # noqa: UP007
                                    "opinion, other."),
    min_score: float | None = typer.Option(None, "--min-score", help="Check-worthiness at least this (0-1)."),  # noqa: UP007
    outlet: str | None = typer.Option(None, help="Outlet contains this."),  # noqa: UP007
    since: str | None = typer.Option(None, help="Published on or after YYYY-MM-DD."),  # noqa: UP007
    until: str | None = typer.Option(None, help="Published on or before YYYY-MM-DD."),  # noqa: UP007
    technique: str | None = typer.Option(None, help="Overlaps a persuasion technique of this name."),  # noqa: UP007
    narrative: str | None = typer.Option(None, help="Matches a known narrative with this name."),  # noqa: UP007
    has_finding: bool | None = typer.Option(None, "--has-finding/--no-finding", help="With / without findings."),  # noqa: UP007
    search: str | None = typer.Option(None, help="Claim text contains this."),  # noqa: UP007
    sort: ClaimSort = typer.Option(ClaimSort.published, "--sort", help="published (newest first), "
                                   "checkworthiness (most check-worthy first), speaker, outlet or kind."),
    columns: str | None = typer.Option(None, "--columns", help="Comma-separated columns to show (default in a "  # noqa: UP007
                                       "table: " + ",".join(CLAIM_TABLE_COLUMNS) + "; csv/json: all)."),
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """Claims in the corpus, filtered by speaker, kind, score, outlet, dates, technique, narrative, findings,
    text; sorted by date or by check-worthiness (the claim queue)."""
    store = _open(db)
    filters = dict(speaker=speaker, source_kind=source_kind, kind=kind, min_checkworthiness=min_score, outlet=outlet,
                   since=since, until=until, technique=technique, narrative=narrative, has_finding=has_finding,
                   search=search)
    try:
        rows = store.claims(**filters, limit=limit, offset=offset, sort=sort.value)
        total = store.count_claims(**filters)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    table = fmt is TableFormat.table and out is None
    if table:  # in a table, a claim no one is quoted for reads as the outlet's own
        for row in rows:
            if row.get("author_voice") and not row.get("speaker"):
                row["speaker"] = "(outlet's own voice)"
    rows = _choose_columns(rows, columns, CLAIM_TABLE_COLUMNS if table else None)
    if table:
        for row in rows:
            if row.get("factcheck"):
                row["factcheck"] = FACTCHECK_WORDS.get(row["factcheck"], row["factcheck"])
    _print_rows(rows, fmt, out, total=total, offset=offset)


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
            _print_cluster(found, fmt, out)
            return
        rows = store.clusters(since=since, limit=limit, min_articles=min_articles)
        total = store.count_clusters(since=since, min_articles=min_articles)
    except SourcetraceError as error:
        raise fail(str(error), 2) from None
    if fmt is TableFormat.table and out is None:
        keep = ("cluster_id", "label", "first_outlet", "first_published", "n_articles", "n_independent_articles",
                "n_outlets", "numbers_changed")
        rows = [{k: row[k] for k in keep} for row in rows]
    _print_rows(rows, fmt, out, total=total)


def _print_cluster(cluster: dict, fmt: TableFormat, out: Path | None) -> None:  # noqa: UP007
    """One cluster in one format: json is the cluster with its members; jsonl, csv and files are its members;
    a table is a short heading (on stdout too) and the members' timeline."""
    members = cluster.pop("members")
    if fmt is TableFormat.json and out is None:
        sys.stdout.write(json.dumps({**cluster, "members": members}, ensure_ascii=False, default=str, indent=2) + "\n")
        return
    if fmt is TableFormat.table and out is None:
        Console().print(
            f"[bold]{cluster['cluster_id']}[/]: {escape(cluster['label'])}\nfirst seen {cluster['first_published']} in "
            f"{escape(str(cluster['first_outlet']))}; {cluster['n_articles']} articles, {cluster['n_outlets']} outlets",
            highlight=False, soft_wrap=False)
        keep = ("published", "outlet", "speaker", "text", "similarity")
        members = [{k: m.get(k) for k in keep} for m in members]
    _print_rows(members, fmt, out)


def sources(
    db: str = DB_OPTION,
    name: str | None = typer.Option(None, "--name", help="Edges whose source or target contains this."),  # noqa: UP007
    limit: int = typer.Option(100),
    offset: int = typer.Option(0),
    columns: str | None = typer.Option(None, "--columns", help="Comma-separated columns to show."),  # noqa: UP007
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """The source graph: who is relayed through which channel and outlet, with counts (a person counted once
    under every name they appear under)."""
    store = _open(db)
    rows = store.sources(limit=limit, offset=offset, source=name)
    _print_rows(_choose_columns(rows, columns), fmt, out, total=store.count_sources(source=name), offset=offset)


def speakers(
    db: str = DB_OPTION,
    name: str | None = typer.Option(None, "--name", help="Speaker name contains this."),  # noqa: UP007
    limit: int = typer.Option(50),
    offset: int = typer.Option(0),
    fmt: TableFormat = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,  # noqa: UP007
) -> None:
    """Who is quoted: each speaker once, merged across the names they appear under, with their attributions,
    claims, articles, outlets and claim clusters."""
    store = _open(db)
    rows = store.speakers(name=name, limit=limit, offset=offset)
    _print_rows(rows, fmt, out, total=store.count_speakers(name=name), offset=offset)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(query)
    app.command()(claims)
    app.command()(clusters)
    app.command()(sources)
    app.command()(speakers)
