"""The fact-check stage's share of the whole analysis time, with fact-check collections imported.

    python bench/factchecks.py --collections ../shared/data/factchecks --articles 20 --json out.json
    python bench/factchecks.py --db STORE --articles 20           # a store already imported

Runs the default pipeline (every stage) over real articles (PolNeAR train+dev, then PTC, as `bench/profiles.py`)
with the store attached, after a warm-up, and reports each stage's seconds and the factchecks stage's share of
the analysis. Read the share, not the seconds: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None, help="fact-check store with the collections imported")
    parser.add_argument("--collections", type=Path, default=None,
                        help="a folder of collections, imported into --db or a cache store once")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.collections is not None:
        from sourcetrace.evaluate.factcheck_decisions import store_of_collections

        args.db = store_of_collections(args.collections, args.db)
    if args.db is None or not args.db.exists():
        sys.exit(f"{args.db}: no fact-check store (sourcetrace factchecks import ../shared/data/factchecks/ --db ...)")

    from corpus import real_articles

    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline

    records = real_articles(args.articles + 4)
    articles = [make_article(r["text"], id=r["id"], published=r.get("published")) for r in records]
    warm_up, timed = articles[:4], articles[4:]
    started = time.perf_counter()
    pipeline = load_pipeline(config={"factchecks": {"db": str(args.db)}})
    load_seconds = time.perf_counter() - started
    factchecks = next(stage for stage in pipeline.stages if stage.name == "factchecks")
    if factchecks.index is None:
        sys.exit(f"{args.db}: the store holds no fact-checks")
    pipeline.analyze_batch(warm_up)
    started = time.perf_counter()
    analyses = [pipeline.analyze(article) for article in timed]
    seconds = time.perf_counter() - started
    stages: Counter[str] = Counter()
    per_article = []
    for analysis in analyses:
        for timing in analysis.meta.timing:
            stages[timing.stage] += timing.seconds
        per_article.append(sum(t.seconds for t in analysis.meta.timing if t.stage == "factchecks"))
    total = sum(stages.values())
    share = stages["factchecks"] / max(total, 1e-9)
    findings = Counter(f.kind for analysis in analyses for f in analysis.findings)
    result = {
        "articles": len(timed), "fact_checks": len(factchecks.rows), "load_seconds": round(load_seconds, 1),
        "analysis_seconds": round(seconds, 2), "stage_seconds": {k: round(v, 2) for k, v in stages.most_common()},
        "factchecks_share": round(share, 4), "factchecks_seconds_max_article": round(max(per_article), 2),
        "findings": dict(findings),
    }
    print(f"{len(timed)} articles, {len(factchecks.rows)} fact-checks: analysis {seconds:.1f} s; factchecks "
          f"{stages['factchecks']:.1f} s = {100 * share:.1f}% of the stages' time (slowest article "
          f"{max(per_article):.2f} s); stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.most_common()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
