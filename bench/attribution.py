"""Attribution's cost as a ratio to the bare spaCy parse of the same articles, in the same run.

    python bench/attribution.py [--articles 40] [--gold ../shared/data/polnear/dev]

Parses the articles once with the backbone (timed: the baseline), then runs the attribution stage on those
parses (timed), and prints both and the ratio (attribution seconds / parse seconds). Articles come from
PolNeAR dev when ../shared is present, else from the repository's example article, repeated.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's sourcetrace, not an installed copy

from sourcetrace.analysis import Analysis, Meta  # noqa: E402
from sourcetrace.api import make_article  # noqa: E402
from sourcetrace.pipeline.registry import Document, registered_stages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "data" / "polnear" / "dev")
    args = parser.parse_args()
    if (args.gold / "text").is_dir():
        texts = [p.read_text(encoding="utf-8") for p in sorted((args.gold / "text").glob("*.txt"))[: args.articles]]
    else:
        texts = [(REPO / "examples" / "article.txt").read_text(encoding="utf-8")] * args.articles
    stages = registered_stages()
    backbone = stages["backbone"]({})
    attribution = stages["attribution"]({})
    rules_only = stages["attribution"]({"model": False})
    documents = [Document(Analysis(article=make_article(t, id=str(i)), meta=Meta(sourcetrace_version="bench")))
                 for i, t in enumerate(texts)]
    backbone.process(documents[:2])  # warm up
    for document in documents:
        document.analysis.sentences.clear()
        document.analysis.entities.clear()
    started = time.perf_counter()
    backbone.process(documents)
    parse_seconds = time.perf_counter() - started
    timings = {}
    for name, stage in (("attribution", attribution), ("rules only", rules_only)):
        for document in documents:
            document.analysis.attributions.clear()
        started = time.perf_counter()
        stage.process(documents)
        timings[name] = time.perf_counter() - started
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} articles, {words} words")
    print(f"spaCy parse (baseline): {parse_seconds:.2f}s ({words / parse_seconds:.0f} words/s)")
    for name, seconds in timings.items():
        print(f"{name}: {seconds:.2f}s, ratio to the parse {seconds / parse_seconds:.3f}"
              f" (parse + attribution = {(parse_seconds + seconds) / parse_seconds:.2f}x the bare parse)")


if __name__ == "__main__":
    main()
