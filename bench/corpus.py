"""Corpus-mode speed and memory, as ratios against baselines measured in the same run.

1. Real articles (default 1,000: PolNeAR train+dev texts, then PTC articles, from ../shared/data) through
   `sourcetrace run` (process pool, full default pipeline) and through a bare spaCy parse (`nlp.pipe`, one
   process) of the same texts: articles/s per core for both, their ratio, peak memory per worker.
2. Engine overhead on synthetic short records (default 1,000,000): the same runner with no pipeline stage
   (`stages=()`: records still become Analysis objects, are hashed for dedupe and written as shards), for the
   process pool and for Ray, against the bare cost of reading the input in the parent.

    python bench/corpus.py                       # everything (long on a small machine)
    python bench/corpus.py --articles 200 --records 100000 --skip-ray
    python bench/corpus.py --json results.json   # also write the numbers as JSON
    python bench/corpus.py --articles 40 --records 0 --profiles default,fast   # the fast profile beside the default

The shared data is read, never copied into the repository; the script stops with a message if it is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared" / "data"


def real_articles(limit: int) -> list[dict]:
    """PolNeAR train and dev articles (with publisher and date), then PTC articles, in name order."""
    polnear = SHARED / "polnear"
    if not polnear.exists():
        sys.exit(f"{polnear} is absent: the development data in ../shared is needed for this benchmark")
    meta: dict[str, dict] = {}
    with (polnear / "metadata.tsv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream, delimiter="\t"):
            meta[row["filename"]] = row
    records = []
    for split in ("train", "dev"):
        for path in sorted((polnear / split / "text").glob("*.txt")):
            row = meta.get(path.stem, {})
            records.append({"id": f"polnear-{path.stem}", "text": path.read_text(encoding="utf-8"),
                            "outlet": row.get("publisher"), "published": row.get("publication_date") or None})
    for path in sorted((SHARED / "ptc" / "train-articles").rglob("article*.txt")):
        records.append({"id": f"ptc-{path.stem}", "text": path.read_text(encoding="utf-8")})
    records = [r for r in records if r["text"].strip()]
    return records[:limit]


def write_jsonl(records: list[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def stock_spacy() -> Any:
    """The bare parse's pipeline: the backbone's spaCy model as `spacy.load` gives it (none of the backbone's
    own components or replacements), on the same blis kernels."""
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    from sourcetrace.pipeline.backbone import MODEL_PACKAGE

    set_current_ops(NumpyOps(use_blis=True))
    return spacy.load(MODEL_PACKAGE)


def bare_parse(texts: list[str]) -> float:
    """Articles/s of spaCy alone (the backbone's model as spaCy ships it, its default batch), in this process."""
    nlp = stock_spacy()
    list(nlp.pipe(texts[:8]))  # warm up
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return len(texts) / (time.perf_counter() - started)


def run_real(records: list[dict], workers: int, folder: Path, profile: str = "default") -> dict:
    from sourcetrace.corpus.runner import RunOptions, run_corpus
    from sourcetrace.pipeline.settings import load_profile

    source = write_jsonl(records, folder / "articles.jsonl")
    out = folder / f"real-{profile}"
    config = None if profile == "default" else load_profile(profile)
    started = time.perf_counter()
    options = RunOptions(store=str(out), workers=workers, task_size=16, config=config)
    summary = run_corpus([source], out, options, progress=False)
    total = time.perf_counter() - started
    from collections import defaultdict

    from sourcetrace.corpus.store import CorpusStore

    stage_seconds: dict[str, float] = defaultdict(float)
    with CorpusStore.open(out) as store:
        for row in store.rows("SELECT analysis FROM articles"):
            for timing in json.loads(row["analysis"])["meta"]["timing"]:
                stage_seconds[timing["stage"]] += timing["seconds"]
        counts = store.stats()
    spent = sum(stage_seconds.values()) or 1.0
    return {"summary": summary.to_dict(), "seconds_with_finish": round(total, 2),
            "finish_seconds": round(total - summary.seconds, 2),
            "stage_share": {k: round(v / spent, 3) for k, v in sorted(stage_seconds.items(), key=lambda kv: -kv[1])},
            "rows": counts}


def real_result(real: dict, workers: int, parse_rate: float, articles: int, profile: str) -> dict:
    """The real run's numbers, printed and as a dict, against the bare parse measured in this process."""
    rate = real["summary"]["articles_per_second"]
    per_core = rate / workers
    print(f"  full analysis ({profile} settings), {workers} worker(s): {rate:.2f} articles/s = {per_core:.2f} "
          f"per core (x{per_core / parse_rate:.3f} of the bare parse per core); peak memory per worker "
          f"{real['summary']['peak_rss_mb_per_worker']} MB; duplicates+clusters {real['finish_seconds']} s",
          flush=True)
    print(f"  share of analysis time per stage: {real['stage_share']}", flush=True)
    return {
        "profile": profile,
        "articles": articles, "bare_parse_articles_per_s_per_core": round(parse_rate, 2),
        "full_articles_per_s": rate, "full_articles_per_s_per_core": round(per_core, 2),
        "full_over_bare_parse_per_core": round(per_core / parse_rate, 3),
        "peak_rss_mb_per_worker": real["summary"]["peak_rss_mb_per_worker"],
        "finish_seconds": real["finish_seconds"], "run": real["summary"],
        "stage_share": real["stage_share"], "rows": real["rows"],
    }


def synthetic(count: int, path: Path) -> Path:
    cities = ["Kharkiv", "Odesa", "Kherson", "Lviv", "Dnipro", "Sumy", "Poltava"]
    with path.open("w", encoding="utf-8") as stream:
        for i in range(count):
            text = f"Officials in {cities[i % 7]} said {i} people had been evacuated on Monday."
            stream.write(f'{{"id": "s{i}", "text": "{text}", "published": "2023-06-06"}}\n')
    return path


def read_only(path: Path) -> float:
    """Seconds the parent needs just to read and validate the records (the floor of any engine)."""
    from sourcetrace.ingest import read_inputs

    started = time.perf_counter()
    count = sum(1 for _ in read_inputs([path]))
    elapsed = time.perf_counter() - started
    assert count > 0
    return elapsed


def run_overhead(path: Path, count: int, engine: str, workers: int, folder: Path) -> dict:
    from sourcetrace.corpus.runner import RunOptions, run_corpus

    out = folder / f"overhead-{engine}"
    options = RunOptions(store=str(out), stages=(), workers=workers, task_size=5000, embed_claims=False)
    summary = run_corpus([path], out, options, engine=engine, progress=False, finish=False)
    assert summary.analysed == count, summary
    shutil.rmtree(out, ignore_errors=True)
    return summary.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None, help="default: cores - 1")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--engines", default="pool,ray", help="engines for the synthetic run (pool,ray)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profiles", default="default",
                        help="settings profiles for the real run, comma-separated: default,fast")
    args = parser.parse_args()

    from sourcetrace.corpus.engines._task import default_workers

    workers = args.workers or default_workers()
    results: dict = {"cores": os.cpu_count(), "workers": workers}
    with tempfile.TemporaryDirectory(prefix="sourcetrace-bench-") as tmp:
        folder = Path(tmp)
        if not args.skip_real:
            records = real_articles(args.articles)
            texts = [r["text"] for r in records]
            words = sum(len(t.split()) for t in texts)
            print(f"real articles: {len(records)} ({words / len(records):.0f} words on average)", flush=True)
            parse_rate = bare_parse(texts)
            print(f"  bare spaCy parse, 1 process: {parse_rate:.2f} articles/s", flush=True)
            for profile in args.profiles.split(","):
                key = "real" if profile == "default" else f"real_{profile}"
                results[key] = real_result(run_real(records, workers, folder, profile), workers, parse_rate,
                                           len(records), profile)
        if args.records:
            path = synthetic(args.records, folder / "synthetic.jsonl")
            reading = read_only(path)
            results["synthetic"] = {"records": args.records, "read_only_records_per_s": round(args.records / reading)}
            print(f"synthetic records: {args.records}; reading alone {args.records / reading:,.0f} records/s",
                  flush=True)
            for engine in args.engines.split(","):
                if engine == "ray" and args.skip_ray:
                    continue
                summary = run_overhead(path, args.records, engine, workers, folder)
                rate = summary["articles_per_second"]
                overhead_us = (summary["seconds"] * workers / args.records) * 1e6
                results["synthetic"][engine] = {
                    "records_per_s": rate, "records_per_s_per_core": round(rate / workers),
                    "core_microseconds_per_record": round(overhead_us, 1),
                    "over_read_only": round(rate / (args.records / reading), 3),
                    "peak_rss_mb_per_worker": summary["peak_rss_mb_per_worker"], "seconds": summary["seconds"],
                }
                print(f"  {engine}: {rate:,.0f} records/s with no stage ({overhead_us:.0f} core-µs per record; "
                      f"x{rate / (args.records / reading):.2f} of reading alone); peak memory per worker "
                      f"{summary['peak_rss_mb_per_worker']} MB", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
