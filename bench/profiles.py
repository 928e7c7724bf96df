"""The analysis itself (no corpus machinery) against the bare spaCy parse, per settings profile, in one process.

Models are loaded and warmed up before timing, so the numbers are the steady per-article cost a long run
pays; `bench/corpus.py` adds the corpus engine (workers, shards, claim embeddings for clusters) on top.
Profiles are timed in turn, each against the bare parse timed just before it, because these machines are
noisy: read the ratios, not the seconds.

    python bench/profiles.py --articles 40                      # default and fast
    python bench/profiles.py --articles 40 --profiles fast --json out.json
    python bench/profiles.py --articles 40 --profiles fast --repeats 7   # median of seven, for a noisy machine

Articles: PolNeAR train+dev texts, then PTC articles, from ../shared/data (read, never copied).
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


WARM_UP = "On Sept. the 11th, 2022, officials said the bridge had been closed since late August."


def time_parse(nlp, texts: list[str]) -> float:  # noqa: ANN001 - a spaCy Language
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--profiles", default="default,fast", help="comma-separated; 'default' is no settings")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=1,
                        help="time parse then analysis this many times per profile; the median ratio is reported")
    args = parser.parse_args()

    from corpus import real_articles, stock_spacy

    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline
    from sourcetrace.pipeline.settings import load_profile

    records = real_articles(args.articles)
    texts = [record["text"] for record in records]
    articles = [make_article(record["text"], id=record["id"], published=record.get("published"))
                for record in records]
    words = sum(len(text.split()) for text in texts)
    print(f"{len(records)} articles, {words / len(records):.0f} words on average", flush=True)
    nlp = stock_spacy()
    list(nlp.pipe(texts[:4]))
    results: dict = {"articles": len(records), "profiles": {}}
    for profile in args.profiles.split(","):
        pipeline = load_pipeline(config=None if profile == "default" else load_profile(profile))
        pipeline.analyze_batch(articles[:8])  # warm up every model and lazy import
        # dateparser builds its parsers on first use (about 1.5 s, once per process): a run over millions pays
        # it once, so it is warmed up here rather than charged to the articles timed
        pipeline.analyze(make_article(WARM_UP, id="warm-up"))
        runs = []
        for _ in range(max(1, args.repeats)):
            # each repeat times the parse just before the analysis: the machine's speed drifts between them
            parse_seconds = time_parse(nlp, texts)
            started = time.perf_counter()
            analyses = pipeline.analyze_batch(articles)
            seconds = time.perf_counter() - started
            stages: Counter[str] = Counter()
            for analysis in analyses:
                for timing in analysis.meta.timing:
                    stages[timing.stage] += timing.seconds
            runs.append((seconds / parse_seconds, seconds, parse_seconds, stages))
            print(f"{profile}: the analysis costs {seconds / parse_seconds:.2f}x the bare parse ({seconds:.1f} s "
                  f"against {parse_seconds:.1f} s, {len(records) / seconds:.2f} articles/s); stages: "
                  + ", ".join(f"{name} {value:.1f} s" for name, value in stages.most_common()), flush=True)
        ratios = sorted(run[0] for run in runs)
        ratio, seconds, parse_seconds, stages = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        results["profiles"][profile] = {
            "parse_seconds": round(parse_seconds, 2), "analysis_seconds": round(seconds, 2),
            "analysis_over_parse": round(ratio, 2), "articles_per_second": round(len(records) / seconds, 2),
            "stage_seconds": {name: round(value, 2) for name, value in stages.most_common()},
            "ratios": [round(value, 3) for value in ratios],
        }
        if len(runs) > 1:
            print(f"{profile}: median {ratio:.2f}x the bare parse over {len(runs)} repeats "
                  f"({ratios[0]:.2f}x to {ratios[-1]:.2f}x)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
