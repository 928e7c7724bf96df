"""Entity linking and time normalisation over real pro-Kremlin disinformation claims (EUvsDisinfo cases).

Reads ../shared/data/factchecks/narratives/pro-kremlin-narratives.json (623 cases: the claim as published
and its date), runs backbone + entities + time, and prints: coverage (NER names linked, entities the
gazetteer added, labels it corrected), the spelling variants found, how many temporal expressions got a
value, the seconds each stage takes as a ratio to the backbone's, and a seeded random sample of links to
check by hand.

    python bench/entities_time.py [--sample 40] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from collections import Counter
from pathlib import Path

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import Pipeline

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data" / "factchecks" / "narratives" / "pro-kremlin-narratives.json"
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is absent: the development data in ../shared is not available here")
    cases = json.loads(DATA.read_text(encoding="utf-8"))[: args.limit]
    articles = []
    for case in cases:
        text = (case.get("Disinfo_cases_en") or "").strip()
        if not text:
            continue
        published = dt.datetime.strptime(case["Date"], "%d/%m/%Y").date().isoformat() if case.get("Date") else None
        articles.append(ArticleInfo(id=str(case["id"]), text=text, published=published))

    backbone = Pipeline(["backbone"])
    full = Pipeline(["backbone", "entities", "time"])
    backbone.analyze_batch(articles[:8])  # warm-up
    started = time.perf_counter()
    plain = backbone.analyze_batch(articles)
    backbone_seconds = time.perf_counter() - started
    analyses = full.analyze_batch(articles)
    stage_seconds = Counter()
    for analysis in analyses:
        for timing in analysis.meta.timing:
            stage_seconds[timing.stage] += timing.seconds

    ner_names = sum(1 for a in plain for e in a.entities if e.label in NAME_LABELS)
    ner_spans = {(a.article.id, e.span.start, e.span.end) for a in plain for e in a.entities}
    ner_labels = {(a.article.id, e.span.start, e.span.end): e.label for a in plain for e in a.entities}
    linked = [(a, e) for a in analyses for e in a.entities if e.entity_id]
    added = [(a, e) for a, e in linked if (a.article.id, e.span.start, e.span.end) not in ner_spans]
    relabelled = [(a, e) for a, e in linked
                  if ner_labels.get((a.article.id, e.span.start, e.span.end), e.label) != e.label]
    variants = Counter((e.variant.canonical, e.variant.variant) for _, e in linked if e.variant)
    times = [t for a in analyses for t in a.times]
    print(f"{len(articles)} texts, {sum(len(a.text) for a in articles)} characters")
    print(f"NER name entities (PERSON ORG GPE LOC NORP FAC PRODUCT EVENT): {ner_names}")
    print(f"linked entities: {len(linked)} ({len({e.entity_id for _, e in linked})} distinct entries); "
          f"added by the gazetteer: {len(added)}; NER labels corrected: {len(relabelled)}")
    print(f"entities with a spelling variant: {sum(variants.values())} in "
          f"{sum(1 for a in analyses if any(e.variant for e in a.entities))} texts")
    for (canonical, variant), count in variants.most_common(15):
        print(f"  {variant} -> {canonical}: {count}")
    valued = [t for t in times if t.value]
    print(f"temporal expressions: {len(times)}; with a value: {len(valued)}; anchored on the date: "
          f"{sum(t.anchored for t in times)}; by type: {dict(Counter(t.type for t in times))}")
    print(f"seconds: backbone alone {backbone_seconds:.2f}; in the pipeline: "
          + ", ".join(f"{k} {v:.2f}" for k, v in stage_seconds.items()))
    base = stage_seconds["backbone"] or backbone_seconds
    print(f"ratio to the backbone: entities {stage_seconds['entities'] / base:.3f}, "
          f"time {stage_seconds['time'] / base:.3f}")
    rng = random.Random(0)
    print(f"\nrandom sample of {args.sample} links (seed 0), to judge by hand:")
    for analysis, entity in rng.sample(linked, min(args.sample, len(linked))):
        text = analysis.article.text
        context = text[max(0, entity.span.start - 40): entity.span.end + 40].replace("\n", " ")
        print(f"  [{entity.span.text}] -> {entity.canonical} ({entity.type}, {entity.entity_id}) | ...{context}...")
    print(f"\nrandom sample of {args.sample} temporal expressions (seed 0):")
    pairs = [(a, t) for a in analyses for t in a.times]
    for analysis, expression in rng.sample(pairs, min(args.sample, len(pairs))):
        print(f"  [{expression.span.text}] -> {expression.value} ({expression.type}, published "
              f"{analysis.article.published})")


if __name__ == "__main__":
    main()
