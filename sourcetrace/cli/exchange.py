"""`sourcetrace export` and `sourcetrace import-gold`: an article's (or a corpus sample's) attributions, claims and
techniques out to Label Studio or brat for a desk to correct, and the corrections back as gold files that
`sourcetrace evaluate` reads."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import typer

from sourcetrace.cli.console import err, fail
from sourcetrace.errors import InputError, SourcetraceError


class ExchangeFormat(str, enum.Enum):
    labelstudio = "labelstudio"
    brat = "brat"


def _read_analyses(paths: list[Path]) -> list:  # noqa: ANN202 - Analysis, imported late
    """Analyses from `sourcetrace analyze` output: a JSON object, a JSON array, or JSON Lines."""
    from pydantic import ValidationError

    from sourcetrace.analysis import Analysis

    analyses = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            stripped = text.lstrip()
            if stripped.startswith("["):
                records = json.loads(text)
            elif stripped.startswith("{") and "\n{" not in stripped.rstrip():
                records = [json.loads(text)]
            else:
                records = [json.loads(line) for line in text.splitlines() if line.strip()]
            analyses.extend(Analysis.model_validate(record) for record in records)
        except (OSError, ValueError, ValidationError) as error:
            first = str(error).splitlines()[0]
            raise fail(f"{path}: not the JSON of `sourcetrace analyze`: {first}", 2) from None
    return analyses


def _corpus_sample(db: str, sample: int, seed: int) -> list:  # noqa: ANN202
    import random

    from sourcetrace.analysis import Analysis
    from sourcetrace.corpus.store import CorpusStore

    try:
        store = CorpusStore.open(db)
    except SourcetraceError as error:
        raise fail(str(error)) from None
    with store:
        ids = sorted(row["article_id"] for row in store.rows("SELECT article_id FROM articles"))
        chosen = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
        return [Analysis.model_validate(store.article(article_id)) for article_id in chosen]


def export(
    analyses: list[Path] = typer.Argument(None, help="JSON or JSONL files written by `sourcetrace analyze -f json`."),
    db: str | None = typer.Option(None, "--db", help="Or a corpus folder: export a sample of its articles."),  # noqa: UP007
    sample: int = typer.Option(20, "--sample", help="Articles to draw from --db."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the --db sample."),
    to: ExchangeFormat = typer.Option(ExchangeFormat.labelstudio, "--to", help="labelstudio or brat."),
    out: Path = typer.Option(..., "--out", "-o", help="Label Studio: a .json file (the labelling config is written "
                             "beside it as .xml); brat: a folder."),
) -> None:
    """Export attributions, claims and techniques for a desk to correct, in Label Studio or brat."""
    from sourcetrace.exchange import label_config, to_label_studio, write_brat

    chosen = _read_analyses(analyses or [])
    if db:
        chosen += _corpus_sample(db, sample, seed)
    if not chosen:
        raise fail("nothing to export: give analysis JSON files or --db", 2)
    if to is ExchangeFormat.brat:
        written = write_brat(chosen, out)
        err.print(f"wrote {len(written)} article(s) to {out} (NAME.txt, NAME.ann, annotation.conf)", highlight=False,
                  soft_wrap=True)
        return
    tasks = to_label_studio(chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config = out.with_suffix(".xml")
    techniques = sorted({t.technique for a in chosen for t in a.techniques})
    config.write_text(label_config(techniques), encoding="utf-8")
    err.print(f"wrote {len(tasks)} task(s) to {out} and the labelling config to {config}", highlight=False,
              soft_wrap=True)


def import_gold(
    source: Path = typer.Argument(..., help="Label Studio JSON export, or a folder of corrected brat files."),
    out: Path = typer.Option(..., "--out", "-o", help="Gold folder to write."),
    annotator: str = typer.Option("desk", "--annotator", help="Name in the gold file names (no '_')."),
    predictions: bool = typer.Option(False, "--predictions", help="Label Studio: read tasks nobody annotated "
                                     "from their pre-annotations too."),
) -> None:
    """Corrected annotations back as gold: `sourcetrace evaluate attribution --gold OUT` and `evaluate techniques
    --articles OUT/articles --labels OUT/techniques.labels` then measure the tool on these articles."""
    from sourcetrace.exchange import read_brat, read_label_studio, write_gold

    try:
        documents = read_brat(source) if source.is_dir() else read_label_studio(source, use_predictions=predictions)
        if not documents:
            raise fail(f"{source}: no annotated task (pass --predictions to take the pre-annotations)", 1)
        counts = write_gold(documents, out, annotator)
    except InputError as error:
        raise fail(str(error), 1) from None
    except ValueError as error:
        raise fail(str(error), 2) from None
    err.print(f"wrote gold for {counts['documents']} article(s) to {out}: {counts['attributions']} attributions, "
              f"{counts['claims']} claims, {counts['techniques']} techniques. Measure with: sourcetrace evaluate "
              f"attribution --gold {out}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(export)
    app.command("import-gold")(import_gold)
