"""`sourcetrace evaluate TASK`: the commands that score a model on a task's public gold data with the metrics of
`sourcetrace.evaluate` (a task module that brings its own command adds it with `register(app)`)."""

# Each command imports its models and readers when it runs: `sourcetrace --help` stays fast.

from __future__ import annotations

import importlib
import importlib.util
import json
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from sourcetrace.datasets.polnear import read_gold_dir
from sourcetrace.errors import SourcetraceError
from sourcetrace.evaluate import attribution as attribution_metrics
from sourcetrace.evaluate import checkworthiness as checkworthiness_metrics
from sourcetrace.evaluate import factcheck_matching as factcheck_matching_metrics
from sourcetrace.evaluate import techniques as techniques_metrics
from sourcetrace.evaluate import techniques_unlp as techniques_unlp_metrics

# task modules that add their own command with `register(evaluate_app)`
TASK_COMMAND_MODULES = ("sourcetrace.evaluate.stance", "sourcetrace.evaluate.speakers",
                        "sourcetrace.evaluate.factcheck_decisions")

evaluate_app = typer.Typer(
    name="evaluate", help="Measure an extractor on public gold data and print the task's standard metrics.",
    no_args_is_help=True,
)


@evaluate_app.command("attribution")
def attribution_command(
    gold: Path = typer.Option(..., "--gold", help="PolNeAR-format folder with text/ and attributions/, or a "
                              "folder of JSON development-set files (needs --texts-root)"),
    texts_root: Path | None = typer.Option(None, "--texts-root", help="the public data folder the JSON form's "
                                           "texts are read from (semeval23/, unlp2025/)"),
    only_language: str | None = typer.Option(None, "--language", help="JSON form: only the documents in this "
                                             "language (ru, uk)"),
    rules_only: bool = typer.Option(False, "--rules-only", help="the parse rules alone, no trained tagger"),
    no_tagger: bool = typer.Option(False, "--no-tagger", help="the parse ranker without the MiniLM token "
                                   "tagger (the fast profile's setting)"),
    limit: int = typer.Option(0, "--limit", help="only the first N annotation files (0: all)"),
    as_json: bool = typer.Option(False, "--json", help="print the scores as JSON"),
) -> None:
    """Source, cue and content P/R/F1 (exact and token overlap) and relation F1 on PolNeAR-format gold."""
    languages = None
    try:
        if not (gold / "attributions").is_dir() and any(gold.glob("*.json")):
            if texts_root is None:
                raise typer.BadParameter("a JSON development set needs --texts-root (the public data folder)")
            articles, languages = attribution_metrics.read_json_gold(gold, texts_root)
            if only_language:
                articles = [a for a in articles if languages.get(a.name) == only_language]
        else:
            articles = read_gold_dir(gold)
    except SourcetraceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if limit:
        articles = articles[:limit]
    if not articles:
        typer.echo(f"error: {gold}: no annotation files in attributions/", err=True)
        raise typer.Exit(2)
    config = {"attribution": {"model": not rules_only, "tagger": not no_tagger, "author_voice": False}}
    scores, elapsed = attribution_metrics.evaluate(articles, config, languages=languages)
    if as_json:
        typer.echo(json.dumps({**scores.to_dict(), "seconds": round(elapsed, 1)}, indent=2))
    else:
        typer.echo(attribution_metrics.format_table(scores))
        typer.echo(f"analysed {len({a.name for a in articles})} articles in {elapsed:.1f}s")

@evaluate_app.command("checkworthiness")
def evaluate_checkworthiness(
    gold: Path = typer.Option(..., "--gold", help="CheckThat! 2024 Task 1 TSV (Sentence_id, Text, class_label)"),
    train: Path | None = typer.Option(None, "--train", help="CT24 train TSV for the baseline (none: no baseline)"),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="train and score the TF-IDF baseline"),
    minilm: bool = typer.Option(True, "--minilm/--no-minilm", help="--no-minilm: the n-gram model alone (the "
                                "fast profile's setting)"),
    as_json: bool = typer.Option(False, "--json", help="print the scores as JSON"),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="a check-worthiness model folder other than "
                                          "the shipped one (config.json, ngrams.*, its MiniLM file)"),
) -> None:
    """Precision, recall and F1 of the positive class, for our model and the TF-IDF baseline."""
    from sourcetrace.stages.claims.checkworthiness import MODEL_DIR, load_checkworthiness_model

    try:
        rows = checkworthiness_metrics.read_checkworthy_tsv(gold)
        model = load_checkworthiness_model(model_dir or MODEL_DIR, minilm=minilm)
    except SourcetraceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    labels = [row.label for row in rows]
    started = time.perf_counter()
    scores = model.score([row.text for row in rows])
    seconds = time.perf_counter() - started
    ours = checkworthiness_metrics.positive_class_scores(labels, [int(s >= model.threshold) for s in scores])
    if as_json:
        report = {"model": model.name, "threshold": round(model.threshold, 4), "sentences": len(rows),
                  "sourcetrace": asdict(ours)}
        if baseline and train is not None and train.is_file():
            report["baseline"] = asdict(_checkworthiness_baseline(train, rows, labels))
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"{gold}: {len(rows)} sentences, {sum(labels)} check-worthy")
    typer.echo(ours.line(f"sourcetrace ({model.name})"))
    typer.echo(f"  threshold {model.threshold:.3f}, {len(rows) / max(seconds, 1e-9):.0f} sentences/s")
    if not baseline:
        return
    if train is None or not train.is_file():
        missing = train or "the --train file"
        typer.echo(f"baseline skipped: {missing} is absent (see the model card for its dev score)")
        return
    typer.echo(_checkworthiness_baseline(train, rows, labels).line("baseline (TF-IDF word+char LR)"))


def _checkworthiness_baseline(train: Path, rows: list, labels: list[int]) -> checkworthiness_metrics.BinaryScores:
    train_rows = checkworthiness_metrics.read_checkworthy_tsv(train)
    gold_ids = {row.sentence_id for row in rows}
    train_rows = [row for row in train_rows if row.sentence_id not in gold_ids]  # never train on the gold
    fitted = checkworthiness_metrics.train_baseline(train_rows)
    predicted = [int(p) for p in fitted.predict([row.text for row in rows])]
    return checkworthiness_metrics.positive_class_scores(labels, predicted)

@evaluate_app.command("techniques")
def techniques_command(
    articles: Path = typer.Option(None, "--articles", help="folder of article<ID>.txt files"),
    labels: Path = typer.Option(None, "--labels", help="gold labels: one file or a folder of *.labels files"),
    gold: Path = typer.Option(None, "--gold", help="a SemEval-2023 folder (articles/, spans/) instead of "
                              "--articles and --labels"),
    language: str = typer.Option("en", "--language", help="the articles' language (en; ru, uk: the Russian model)"),
    ids: Path = typer.Option(None, "--ids", help="only the article ids listed in this file (one per line)"),
    heldout: bool = typer.Option(False, "--heldout", help="only the fixed held-out PTC articles"),
    predictions: Path = typer.Option(None, "--predictions", help="score this labels file instead of the model"),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="also score the every-line baseline"),
    gold_spans: bool = typer.Option(False, "--gold-spans", help="also name the technique of each gold span"),
    per_technique: bool = typer.Option(True, "--per-technique/--no-per-technique"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
    model_dir: str = typer.Option(None, "--model-dir",
                                  help="a techniques model folder, or a shipped one's name (techniques_minilm)"),
    min_score: float = typer.Option(None, "--min-score", help="the score a span needs (default: the model's)"),
) -> None:
    """Span P/R/F1 (SemEval-2020 partial overlap), technique micro-F1 and per-technique F1."""
    from sourcetrace.datasets.ptc import heldout_ids, read_articles, read_labels

    settings = {k: v for k, v in (("model_dir", model_dir), ("min_score", min_score)) if v is not None}
    try:
        if model_dir is not None:
            from sourcetrace.stages.techniques.stage import model_folder

            settings["model_dir"] = str(model_folder(settings))  # a clear error before any article is read
        if gold is not None:
            from sourcetrace.datasets.semeval23 import read_semeval23

            texts, gold_labels = read_semeval23(gold)
        elif articles is not None and labels is not None:
            texts, gold_labels = read_articles(articles), read_labels(labels)
        else:
            typer.echo("error: give --gold (a SemEval-2023 folder), or --articles and --labels", err=True)
            raise typer.Exit(2)
        wanted: set[str] | None = None
        if ids is not None:
            wanted = {line.strip() for line in ids.read_text(encoding="utf-8").splitlines()
                      if line.strip() and not line.startswith("#")}
        if heldout:
            wanted = heldout_ids() if wanted is None else wanted & heldout_ids()
        if wanted is not None:
            texts = {k: v for k, v in texts.items() if k in wanted}
        gold_here: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for article_id in texts:
            gold_here[article_id] = list(gold_labels.get(article_id, []))
        results: dict[str, Any] = {"articles": len(texts), "gold_labels": sum(map(len, gold_here.values()))}
        if predictions is not None:
            predicted = read_labels(predictions)
            results["predictions"] = techniques_metrics.evaluate({k: predicted.get(k, []) for k in texts}, gold_here,
                                                                 texts)
        else:
            found = techniques_metrics.run_model(texts, settings, language)
            named = {k: [item[:3] for item in v] for k, v in found.items()}
            results["sourcetrace"] = techniques_metrics.evaluate(named, gold_here, texts)
            results["sourcetrace"]["calibration"] = techniques_metrics.calibration(
                {k: [item[:4] for item in v if item[4] == "model"] for k, v in found.items()}, gold_here)
            if gold_spans:
                results["sourcetrace"]["gold_span_micro_f1"] = techniques_metrics.gold_span_accuracy(
                    techniques_metrics.name_gold_spans(texts, gold_here, settings.get("model_dir")), gold_here)
        if baseline:
            baseline_spans = techniques_metrics.sentence_baseline(texts)
            results["baseline_every_sentence"] = techniques_metrics.evaluate(baseline_spans, gold_here, texts)
    except SourcetraceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(results, indent=1))
        return
    typer.echo(f"{results['articles']} articles, {results['gold_labels']} gold technique labels")
    for name in ("sourcetrace", "predictions", "baseline_every_sentence"):
        if name in results:
            techniques_metrics._print(name, results[name], per_technique and name != "baseline_every_sentence")

@evaluate_app.command("techniques-unlp")
def techniques_unlp_command(
    data: Path = typer.Option(..., "--data", help="the unlp2025 folder (span_detection/train.parquet)"),
    ids: Path = typer.Option(None, "--ids", help="score these post ids (one per line) instead of the held-out"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
) -> None:
    """uk/ru techniques (macro/micro-F1) and trigger spans (character P/R/F1) on the held-out UNLP-2025 posts."""
    try:
        wanted = techniques_unlp_metrics.heldout_ids(ids or techniques_unlp_metrics.HELDOUT_FILE)
        posts = [post for post in techniques_unlp_metrics.read_unlp(data) if post.id in wanted]
    except SourcetraceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    results = techniques_unlp_metrics.evaluate_heldout(posts)
    if as_json:
        typer.echo(json.dumps(results, indent=1))
        return
    split = ids or "held-out: " + str(techniques_unlp_metrics.HELDOUT_FILE.name)
    typer.echo(f"{results['posts']} UNLP-2025 posts ({split})")
    for name, result in results.items():
        if not isinstance(result, dict):
            continue
        if "techniques" in result:
            t = result["techniques"]
            typer.echo(f"{name}: techniques macro-F1 {t['macro_f1']:.3f}  micro-F1 {t['micro_f1']:.3f}")
        if "spans" in result:
            s = result["spans"]
            typer.echo(f"{name}: trigger spans (characters) P {s['precision']:.3f}  R {s['recall']:.3f}  "
                       f"F1 {s['f1']:.3f}")
    model = results["model"]
    for lang in ("uk", "ru"):
        typer.echo(f"  {lang} ({model[lang]['posts']} posts): techniques macro-F1 "
                   f"{model[lang]['techniques_macro_f1']:.3f}  spans F1 {model[lang]['spans_f1']:.3f}")
    for name, f1 in model["techniques"]["per_technique"].items():
        typer.echo(f"  {name:<24} F1 {f1:.3f}")

@evaluate_app.command("factcheck-matching")
def factcheck_matching(
    vclaims: Path = typer.Option(..., help="verified_claims.docs.tsv (id, vclaim, title)."),
    queries: Path = typer.Option(..., help="tweets.queries.tsv (id, tweet_content)."),
    qrels: Path = typer.Option(..., help="tweet-vclaim-pairs.qrels (TREC format)."),
    db: Path | None = typer.Option(  # noqa: UP007
        None, help="DuckDB file to import the verified claims into (default: a cache file per vclaims file)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Claim retrieval (CheckThat! 2020 Task 2): MAP@1/3/5 and P@1, sourcetrace beside BM25 and MiniLM."""
    try:
        results = factcheck_matching_metrics.evaluate_factcheck_matching(vclaims, queries, qrels, db, progress=True)
    except SourcetraceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    labels = {"sourcetrace": "sourcetrace (+ cross-encoder re-ranking)", "bm25": "BM25 (claim + title)",
              "minilm": "MiniLM cosine only", "first_scorer": "BM25 + MiniLM features, LR only"}
    typer.echo(f"{'system':42} {'MAP@1':>7} {'MAP@3':>7} {'MAP@5':>7} {'P@1':>7}  queries")
    for name, metrics in results.items():
        typer.echo(f"{labels[name]:42} {metrics['MAP@1']:7.3f} {metrics['MAP@3']:7.3f} {metrics['MAP@5']:7.3f} "
                   f"{metrics['P@1']:7.3f}  {metrics['queries']}")


def register(app: typer.Typer) -> None:
    for name in TASK_COMMAND_MODULES:
        if importlib.util.find_spec(name) is not None:  # a task module not in this checkout is left out
            importlib.import_module(name).register(evaluate_app)
    app.add_typer(evaluate_app, name="evaluate")
