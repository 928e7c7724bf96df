"""`sourcetrace factchecks ...` (import fact-check collections) and `sourcetrace kb ...` (build KB files)."""

# The commands import the pipeline, stores and readers when they run: `sourcetrace --help` stays fast, loading
# none of spaCy, onnxruntime, DuckDB or FastAPI.
from __future__ import annotations

import enum
from pathlib import Path

import typer

from sourcetrace.cli.console import err, fail
from sourcetrace.errors import InputError, SourcetraceError

factchecks_app = typer.Typer(
    name="factchecks", help="Import fact-check collections into the local fact-check store (DuckDB).",
    no_args_is_help=True,
)
kb_app = typer.Typer(name="kb", help="Build knowledge-base files for the contradiction checks.", no_args_is_help=True)


class FactcheckFormat(str, enum.Enum):
    claimreview = "claimreview"
    euvsdisinfo = "euvsdisinfo"
    narratives = "narratives"
    clef_vclaims = "clef-vclaims"




@factchecks_app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="ClaimReview JSON/JSONL, EUvsDisinfo posts.csv (or its folder), "
                                          "narratives JSON, CheckThat! verified_claims.docs.tsv, or a folder "
                                          "holding several of these (each one found is imported)."),
    format: FactcheckFormat | None = typer.Option(  # noqa: UP007
        None, "--format", "-f", help="Input format (default: guessed from the file)."
    ),
    db: Path | None = typer.Option(  # noqa: UP007
        None, help="Store file (default: $SOURCETRACE_FACTCHECK_DB or ~/.local/share/sourcetrace/factchecks.duckdb)."
    ),
    limit: int | None = typer.Option(None, help="Import only the first N records."),  # noqa: UP007
) -> None:
    """Import (or re-import: idempotent) fact-check collections, with MiniLM vectors for matching.

    `sourcetrace factchecks import DIR` imports every collection found under DIR (e.g. a folder with euvsdisinfo/,
    narratives/ and clef2020-task2/): this one command turns fact-check matching on."""
    import itertools

    from sourcetrace._ml.embedder import load_embedder
    from sourcetrace.stages.factchecks.importers import find_collections, read_factchecks
    from sourcetrace.stages.factchecks.store import FactcheckStore

    try:
        collections = (find_collections(path) if path.is_dir() and format is None
                       and not (path / "posts.csv").exists() else [(path, format.value if format else None)])
        if not collections:
            raise InputError(str(path), "no fact-check collection found in this folder (EUvsDisinfo posts.csv, "
                                        "verified_claims*.tsv, narratives or ClaimReview .json/.jsonl)")
        records = [record for file, fmt in collections for record in read_factchecks(file, fmt)]
        if limit is not None:
            records = list(itertools.islice(records, limit))
        with FactcheckStore(db) as store:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=err, transient=True) as progress:
                task = progress.add_task("import", total=len(records))
                report = store.import_records(records, load_embedder(),
                                              progress=lambda n: progress.advance(task, n))
            total = store.count()
            where = store.path
    except SourcetraceError as error:
        raise fail(str(error)) from None
    err.print(f"{report.total} fact-checks from {path}: {report.added} new, {report.updated} updated, "
              f"{report.unchanged} unchanged; {total} in {where}", highlight=False)


@factchecks_app.command("stats")
def stats_command(
    db: Path | None = typer.Option(None, help="Store file (default as for import)."),  # noqa: UP007
) -> None:
    """How many fact-checks of each collection the store holds."""
    from sourcetrace.stages.factchecks.store import FactcheckStore, default_db_path

    path = db or default_db_path()
    if not path.exists():
        raise fail(f"{path}: no fact-check store yet (run `sourcetrace factchecks import FILE`)")
    with FactcheckStore(path, read_only=True) as store:
        rows = store.connection.execute(
            "SELECT collection, count(*) FROM factchecks GROUP BY collection ORDER BY collection"
        ).fetchall()
    for collection, count in rows:
        typer.echo(f"{collection}\t{count}")


@kb_app.command("import-wikidata")
def import_wikidata_command(
    dump: Path = typer.Argument(..., help="Wikidata JSON dump: latest-all.json, .json.gz, .json.bz2 or JSON Lines."),
    properties: str = typer.Option(..., help="Properties to keep as facts: P31,P495,P176,P137,..."),
    out: Path = typer.Option(..., "--out", "-o", help="KB YAML file to write (pass it to the knowledge_base stage)."),
    instance_of: str | None = typer.Option(  # noqa: UP007
        None, help="Keep only items that are instances of these classes: Q728,..."
    ),
    language: str = typer.Option("en", help="Language of names and aliases."),
) -> None:
    """Write the facts of the named properties from a Wikidata dump as a knowledge-base YAML file."""
    from sourcetrace.stages.knowledge_base.importer import import_wikidata_kb, parse_ids

    try:
        props = parse_ids(properties, "P", "--properties")
        classes = parse_ids(instance_of, "Q", "--instance-of") if instance_of else None
        written = import_wikidata_kb(dump, props, out, classes, language)
    except InputError as error:
        raise fail(str(error)) from None
    err.print(f"wrote {written} facts to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(factchecks_app, name="factchecks")
    app.add_typer(kb_app, name="kb")
