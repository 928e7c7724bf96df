"""`sourcetrace evaluate factcheck-decisions`: what the fact-check layer asserts on real news, per 1,000 sentences.

Retrieval benchmarks only rank (every query there has a match); on real articles almost no sentence makes a claim
that fact-checkers rated, so every finding the layer emits on ordinary news is a candidate error. This command
runs the analysis (backbone, attribution, claims, factchecks) over news articles against a fact-check store and
reports the findings of each kind per 1,000 sentences, with every finding listed for checking by hand, and the
fact-check stage's share of that analysis time.

    sourcetrace evaluate factcheck-decisions --collections ../shared/data/factchecks \\
        --polnear ../shared/data/polnear/dev --ptc ../shared/data/ptc/train-articles \\
        --fnc-bodies ../shared/data/stance/fnc1/train_bodies.csv --per-source 70 --json

`--collections` imports a folder of collections into a cache store once (or use `--db` for a store).
"""

# The functions that run a model import it when called: `sourcetrace --help` imports this module.
from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import typer

DECISION_KINDS = ("factcheck_match", "refutes_checked_claim", "reports_checked_claim", "narrative")
STAGES = ("backbone", "attribution", "claims", "factchecks")


@dataclass
class DecisionReport:
    articles: int
    sentences: int
    counts: dict[str, int]
    per_1000_sentences: dict[str, float]
    seconds: float
    factchecks_seconds: float
    findings: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"{self.articles} articles, {self.sentences} sentences; analysis {self.seconds:.0f} s, the "
               f"factchecks stage {self.factchecks_seconds:.0f} s "
               f"({100 * self.factchecks_seconds / max(self.seconds, 1e-9):.1f}%)"]
        for kind in DECISION_KINDS:
            out.append(f"{kind:24} {self.counts.get(kind, 0):5d}  {self.per_1000_sentences.get(kind, 0.0):.2f} "
                       "per 1,000 sentences")
        for finding in self.findings:
            out.append(f"- [{finding['kind']}] {finding['article']} score {finding['score']}, stance "
                       f"{finding['stance']} {finding['stance_probability']}: “{finding['text']}” ~ "
                       f"“{finding['checked_claim']}” ({finding['collection']}; {finding['reasons']})")
        out.extend(f"failed: {line}" for line in self.failed)
        return out


def news_articles(polnear: list[Path], ptc: Path | None, fnc_bodies: Path | None,
                  per_source: int) -> list[tuple[str, str]]:
    """(id, text) of the first `per_source` articles (by file name or body id) of each source given."""
    from sourcetrace.errors import InputError

    articles: list[tuple[str, str]] = []
    for folder in polnear:
        texts = folder / "text" if (folder / "text").is_dir() else folder
        files = sorted(texts.glob("*.txt"))
        if not files:
            raise InputError(str(folder), "no PolNeAR texts (text/*.txt)")
        articles += [(f"polnear:{p.stem}", p.read_text(encoding="utf-8")) for p in files[:per_source]]
    if ptc is not None:
        files = sorted(ptc.glob("article*.txt"))
        if not files:
            raise InputError(str(ptc), "no PTC articles (article*.txt)")
        articles += [(f"ptc:{p.stem}", p.read_text(encoding="utf-8")) for p in files[:per_source]]
    if fnc_bodies is not None:
        csv.field_size_limit(sys.maxsize)
        with fnc_bodies.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        if not rows or "articleBody" not in rows[0]:
            raise InputError(str(fnc_bodies), "not an FNC-1 bodies file (Body ID, articleBody)")
        rows.sort(key=lambda row: int(row["Body ID"]))
        articles += [(f"fnc1:{row['Body ID']}", row["articleBody"]) for row in rows[:per_source]]
    return articles


def store_of_collections(folder: Path, db: Path | None = None) -> Path:
    """A fact-check store holding every collection under `folder` (`sourcetrace factchecks import FOLDER`),
    imported once into `db` (default: a cache file per folder beside the user's store); later runs reuse it."""
    import hashlib

    from sourcetrace._ml.embedder import load_embedder
    from sourcetrace.errors import InputError
    from sourcetrace.stages.factchecks.importers import find_collections, read_factchecks
    from sourcetrace.stages.factchecks.store import FactcheckStore, default_db_path

    collections = find_collections(folder) if folder.is_dir() else []
    if not collections:
        raise InputError(str(folder), "no fact-check collection found in this folder")
    # keyed on the collection files' names and sizes: another copy of the same files reuses the store
    key = hashlib.sha1("".join(f"{p.name}:{p.stat().st_size};" for p, _ in collections).encode()).hexdigest()[:12]
    db = db or default_db_path().parent / f"eval-collections-{key}.duckdb"
    records = [record for path, fmt in collections for record in read_factchecks(path, fmt)]
    with FactcheckStore(db) as store:
        if store.count() != len({record.id for record in records}):
            typer.echo(f"importing {len(records)} fact-checks into {db} (once)", err=True)
            store.import_records(records, load_embedder())
    return db


def evaluate_factcheck_decisions(db: Path, articles: list[tuple[str, str]],
                                 settings: dict[str, Any] | None = None) -> DecisionReport:
    from sourcetrace.analysis import ArticleInfo
    from sourcetrace.errors import InputError
    from sourcetrace.pipeline.run import Pipeline

    if not db.exists():
        raise InputError(str(db), "no fact-check store (import the collections with `sourcetrace factchecks import`)")
    pipeline = Pipeline(STAGES, {"factchecks": {"db": str(db), **(settings or {})}})
    if pipeline.stages[-1].index is None:
        raise InputError(str(db), "the fact-check store holds no fact-checks")
    sentences, total, factchecks_seconds = 0, 0.0, 0.0
    counts: Counter[str] = Counter()
    findings: list[dict[str, Any]] = []
    failed: list[str] = []
    for article_id, text in articles:
        started = time.perf_counter()
        analysis = pipeline.analyze(ArticleInfo(id=article_id, text=text))
        total += time.perf_counter() - started
        factchecks_seconds += sum(t.seconds for t in analysis.meta.timing if t.stage == "factchecks")
        failed += [f"{article_id}: {p.stage}: {p.reason}" for p in analysis.meta.failed_stages]
        sentences += len(analysis.sentences)
        for finding in analysis.findings:
            if finding.kind not in DECISION_KINDS:
                continue
            counts[finding.kind] += 1
            data = finding.evidence[0].data if finding.evidence else {}
            findings.append({
                "article": article_id, "kind": finding.kind, "start": finding.span.start, "end": finding.span.end,
                "text": finding.span.text, "checked_claim": data.get("claim"), "collection": data.get("collection"),
                "factcheck_id": data.get("factcheck_id"), "score": finding.score, "cosine": data.get("cosine"),
                "word_overlap": data.get("word_overlap"),
                "stance": data.get("stance"), "stance_probability": data.get("stance_probability"),
                "reasons": "; ".join(data.get("reasons") or []), "message": finding.message,
            })
    per_1000 = {kind: round(1000 * counts[kind] / max(sentences, 1), 3) for kind in DECISION_KINDS}
    return DecisionReport(articles=len(articles), sentences=sentences, counts=dict(counts), per_1000_sentences=per_1000,
                          seconds=round(total, 2), factchecks_seconds=round(factchecks_seconds, 2), findings=findings,
                          failed=failed)


def register(evaluate_app: typer.Typer) -> None:
    @evaluate_app.command("factcheck-decisions")
    def evaluate_decisions(
        db: Path | None = typer.Option(None, "--db", help="fact-check store with the collections imported"),  # noqa: UP007
        collections: Path | None = typer.Option(  # noqa: UP007
            None, "--collections", help="a folder of collections (as `factchecks import`), imported into --db or a "
            "cache store once"),
        polnear: list[Path] = typer.Option([], "--polnear", help="PolNeAR folder (text/*.txt); repeatable"),  # noqa: B008
        ptc: Path | None = typer.Option(None, "--ptc", help="PTC articles folder (article*.txt)"),  # noqa: UP007
        fnc_bodies: Path | None = typer.Option(None, "--fnc-bodies", help="FNC-1 bodies CSV"),  # noqa: UP007
        per_source: int = typer.Option(100, "--per-source", min=1, help="the first N articles of each source"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object instead of lines"),
    ) -> None:
        """Findings of the fact-check layer per 1,000 sentences of real news, each listed for checking by hand."""
        from sourcetrace.errors import SourcetraceError

        try:
            articles = news_articles(polnear, ptc, fnc_bodies, per_source)
            if not articles:
                raise typer.BadParameter("give at least one of --polnear, --ptc, --fnc-bodies")
            if collections is not None:
                db = store_of_collections(collections, db)
            if db is None:
                raise typer.BadParameter("give --db (a store) or --collections (a folder to import)")
            report = evaluate_factcheck_decisions(db, articles)
        except SourcetraceError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            typer.echo("\n".join(report.lines()))
