"""How many technique spans the shipped English model shows on ordinary news against propaganda-heavy sites.

Reads the PolNeAR development articles (mainstream US news 2016, 12 per outlet, ../shared/data/polnear/dev/text)
and SemEval-2023 English articles (the PTC articles, propaganda-heavy sites; the model was trained on them, so
their figure is in-sample), runs backbone + attribution + techniques at both operating points, and prints for
each outlet: articles, words, spans shown per 1,000 words (precision point, the default; and the `recall`
triage point), and (with --voices, which adds the attribution stage) the share of the precision point's spans
that lie in quoted or reported words. On the SemEval articles it also prints the share of shown spans that overlap
a gold span of their technique. One run at the recall point: the precision point's spans are those scoring at
least the model's precision cut.

    nice -n 10 python bench/technique_density.py [--semeval 60] [--voices] [--json docs/results/techniques/density.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from sourcetrace.analysis import ArticleInfo
from sourcetrace.datasets.semeval23 import read_semeval23
from sourcetrace.evaluate.techniques import shown_precision
from sourcetrace.pipeline.run import load_pipeline

SHARED = Path(__file__).resolve().parents[2] / "shared"
POLNEAR = SHARED / "data" / "polnear"
SEMEVAL = SHARED / "data" / "semeval23" / "en"
STAGES = ["backbone", "attribution", "techniques"]


def polnear_articles(split: str) -> list[tuple[str, str, str]]:
    """(outlet, id, text) of a PolNeAR split."""
    outlets = {}
    with (POLNEAR / "metadata.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            outlets[row["filename"]] = row["publisher"]
    found = []
    for path in sorted((POLNEAR / split / "text").glob("*.txt")):
        found.append((outlets.get(path.stem, path.stem.split("_")[0]), path.stem, path.read_text(encoding="utf-8")))
    return found


def model_folder_meta(settings: dict[str, Any]) -> dict[str, Any]:
    from sourcetrace.stages.techniques.stage import model_folder

    return json.loads((model_folder(settings) / "meta.json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", help="PolNeAR split (dev: 84 articles)")
    parser.add_argument("--semeval", type=int, default=60, help="SemEval-2023 English articles, a seeded sample")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("--voices", action="store_true", help="also run the attribution stage: share in quotes")
    parser.add_argument("--model-dir", default=None, help="a techniques model folder or shipped name")
    args = parser.parse_args()
    if not POLNEAR.exists() or not SEMEVAL.exists():
        raise SystemExit(f"{POLNEAR} or {SEMEVAL} is absent: the shared data is not available here")
    articles = polnear_articles(args.split)
    texts, gold = read_semeval23(SEMEVAL)
    sample = sorted(random.Random(0).sample(sorted(texts), min(args.semeval, len(texts))))
    articles += [("semeval23-en (PTC sites)", i, texts[i]) for i in sample]
    stages = STAGES if args.voices else [stage for stage in STAGES if stage != "attribution"]
    settings = {"operating_point": "recall", **({"model_dir": args.model_dir} if args.model_dir else {})}
    pipeline = load_pipeline(stages, {"techniques": settings})
    precision_cut = float(model_folder_meta(settings)["min_score"])
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"articles": 0, "words": 0, "precision": 0, "recall": 0,
                                                           "quoted": 0})
    shown: dict[str, list[tuple[str, int, int]]] = {}
    for outlet, article_id, text in articles:
        row = rows[outlet]
        row["articles"] += 1
        row["words"] += len(text.split())
        analysis = pipeline.analyze(ArticleInfo(id=article_id, text=text, language="en"))
        precise = [t for t in analysis.techniques if t.score >= precision_cut]
        row["recall"] += len(analysis.techniques)
        row["precision"] += len(precise)
        row["quoted"] += sum(t.attribution is not None for t in precise)
        if article_id in gold:
            shown[article_id] = [(t.technique, t.span.start, t.span.end) for t in precise]
    table = {}
    for outlet, row in sorted(rows.items()):
        per_1000 = 1000 / max(row["words"], 1)
        table[outlet] = {"articles": row["articles"], "words": row["words"],
                         "spans_per_1000_words": round(row["precision"] * per_1000, 2),
                         "recall_spans_per_1000_words": round(row["recall"] * per_1000, 2),
                         "share_in_quotes": (round(row["quoted"] / row["precision"], 3)
                                             if row["precision"] and args.voices else None)}
        print(f"{outlet:28s} {row['articles']:3d} articles {row['words']:7d} words: "
              f"{table[outlet]['spans_per_1000_words']:6.2f} spans per 1,000 words (recall point "
              f"{table[outlet]['recall_spans_per_1000_words']:6.2f}), in quotes {table[outlet]['share_in_quotes']}")
    right = shown_precision(shown, {i: gold[i] for i in shown})
    print(f"semeval23-en sample: {right:.3f} of shown spans overlap a gold span of their technique (in-sample)")
    if args.json is not None:
        args.json.write_text(json.dumps({"stages": stages, "model_dir": args.model_dir or "techniques",
                                         "precision_cut": precision_cut, "polnear_split": args.split, "outlets": table,
                                         "semeval23_sample_shown_precision": round(right, 4)}, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
