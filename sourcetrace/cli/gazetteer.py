"""`sourcetrace gazetteer ...`: build and inspect gazetteers (the entity linker's plain-data lists)."""

# The commands import the pipeline, stores and readers when they run: `sourcetrace --help` stays fast, loading
# none of spaCy, onnxruntime, DuckDB or FastAPI.
from __future__ import annotations

from pathlib import Path

import typer

from sourcetrace.errors import InputError

gazetteer_app = typer.Typer(
    name="gazetteer", help="Build gazetteers for entity linking (e.g. from a Wikidata JSON dump).",
    no_args_is_help=True,
)


@gazetteer_app.command("import-wikidata")
def import_wikidata_command(
    dump: Path = typer.Argument(..., help="Wikidata JSON dump: latest-all.json, .json.gz or .json.bz2."),
    types: str = typer.Option(
        ..., "--types", help="Instance-of (P31) classes to keep: Q515,Q5 or Q515=place,Q5=person."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Gazetteer YAML to write."),
    languages: str = typer.Option("en", help="Label/alias languages, first one gives the name: en or en,uk,ru."),
    limit: int | None = typer.Option(None, help="Stop after this many entries."),  # noqa: UP007
    min_sitelinks: int = typer.Option(0, help="Keep only entities with at least this many Wikipedia articles."),
) -> None:
    """Keep the dump's entities of the given types and write them as a gazetteer YAML file."""
    from rich.console import Console

    from sourcetrace.ingest.wikidata import import_wikidata, parse_types

    err = Console(stderr=True)
    try:
        written = import_wikidata(
            dump, out, parse_types(types), tuple(x.strip() for x in languages.split(",") if x.strip()), limit,
            min_sitelinks,
        )
    except InputError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    err.print(f"wrote {written} entries to {out}", highlight=False)


@gazetteer_app.command("check")
def check_command(paths: list[Path] = typer.Argument(..., help="Gazetteer YAML/CSV files.")) -> None:
    """Load gazetteer files as the linker would and report entries and names, or the first error."""
    from rich.console import Console

    from sourcetrace.stages.entities.stage import load_gazetteer

    err = Console(stderr=True)
    try:
        gazetteer = load_gazetteer(paths, include_builtin=False)
    except InputError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(gazetteer.entries)} entries, {len(gazetteer.names)} names")


def register(app: typer.Typer) -> None:
    app.add_typer(gazetteer_app, name="gazetteer")
