"""Speed, memory, cold start and API latency of the analysis, measured in one run, as ratios to the bare parse.

    python bench/speed.py --articles 100 --workers 2 --json docs/results/speed.json
    python bench/speed.py --articles 100 --baseline-tree /tmp/old --json docs/results/speed-before-after.json

For this tree (and, with `--baseline-tree`, another checkout, e.g. `git archive REV | tar -x -C DIR`, its runs
alternating with this tree's so that both meet the same load), in fresh processes:

1. the bare spaCy parse of the articles (the backbone's model) shared among `--workers` processes side by side, as
   the corpus workers run: wall and CPU seconds, summed over the processes;
2. `sourcetrace run` over the same articles with `--workers` processes, per profile (default, fast): articles/s
   per worker against the parse's articles/s (end to end: loading, writing and clustering included), the same in
   CPU seconds (all worker processes' CPU time against the parse's: on a shared machine the wall clock grows with
   the load, CPU time much less), the steady ratio (the analyses' own stage timings, summed, against the parse's
   seconds: what `bench/profiles.py` reports), and the peak memory of a worker;
3. cold start: `sourcetrace analyze` of a 500-word article in a fresh process (`bench/cold_start.py`);
4. `POST /api/analyze` of that article to `sourcetrace serve` (its default 2 workers, default profile): the
   median and 90th percentile of the latency over `--requests` requests, after one request that waits for
   the workers to load.

Articles: PolNeAR train+dev texts, then PTC articles, from ../shared/data (read, never copied).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


# --- measurements run inside a child process whose PYTHONPATH is the tree measured ------------------------
def _parse_share(texts: list[str], ready: Any, results: Any) -> None:
    from corpus import stock_spacy

    nlp = stock_spacy()
    list(nlp.pipe(texts[:8]))  # warm up
    ready.wait()  # every process starts its timed parse at once, as the corpus workers run side by side
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    results.put({"wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu})


def child_parse(articles: Path, processes: int) -> dict:
    """The bare parse of the articles shared among `processes` processes running side by side: on a machine
    whose cores share caches and memory bandwidth, one process alone parses faster than each of two together,
    so the corpus workers' baseline is the parse under the same load. Seconds summed over the processes."""
    import multiprocessing

    texts = [json.loads(line)["text"] for line in articles.open(encoding="utf-8")]
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes), context.Queue()
    shares = [texts[index::processes] for index in range(processes)]
    workers = [context.Process(target=_parse_share, args=(share, ready, results)) for share in shares]
    for worker in workers:
        worker.start()
    found = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return {"wall_seconds": sum(f["wall_seconds"] for f in found), "cpu_seconds": sum(f["cpu_seconds"] for f in found),
            "processes": processes}


def child_corpus(articles: Path, workers: int, profile: str, out: Path) -> dict:
    import resource

    from sourcetrace.corpus.runner import RunOptions, run_corpus
    from sourcetrace.pipeline.settings import load_profile

    config = None if profile == "default" else load_profile(profile)
    options = RunOptions(store=str(out), workers=workers, task_size=16, config=config)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    started = time.perf_counter()
    summary = run_corpus([articles], out, options, progress=False).to_dict()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    from sourcetrace.corpus.store import CorpusStore

    stages = 0.0  # the analyses' own stage timings: the steady cost, without loading, writing and clustering
    with CorpusStore.open(out) as store:
        for row in store.rows("SELECT analysis FROM articles"):
            stages += sum(timing["seconds"] for timing in json.loads(row["analysis"])["meta"]["timing"])
    return {"wall_seconds": wall, "cpu_seconds": workers_cpu + time.process_time() - cpu, "stage_seconds": stages,
            "summary": summary}


# --- the parent -----------------------------------------------------------------------------------------------
def in_child(tree: Path, task: list[str]) -> dict:
    environment = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *task], env=environment,
                          cwd=str(tree), capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(task)} failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: dict, timeout: float = 300.0) -> float:
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
    return time.perf_counter() - started


def api_latency(tree: Path, text: str, requests: int) -> dict:
    """Median and 90th percentile of POST /api/analyze against `sourcetrace serve` (2 workers, default profile)."""
    port = free_port()
    environment = dict(os.environ, PYTHONPATH=str(tree))
    server = subprocess.Popen([sys.executable, "-m", "sourcetrace", "serve", "--port", str(port)], env=environment,
                              cwd=str(tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/analyze"
    try:
        started = time.perf_counter()
        while True:  # the first answer comes once a worker has loaded
            try:
                first = post(url, {"text": text, "id": "first"})
                break
            except OSError:
                if time.perf_counter() - started > 300 or server.poll() is not None:
                    raise
                time.sleep(0.5)
        ready = time.perf_counter() - started
        latencies = [post(url, {"text": text, "id": f"request-{i}"}) for i in range(requests)]
    finally:
        server.terminate()
        server.wait(timeout=60)
    ordered = sorted(latencies)
    return {"requests": requests, "p50_seconds": round(statistics.median(ordered), 3),
            "p90_seconds": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
            "first_request_seconds": round(first, 2), "first_answer_after_start_seconds": round(ready, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profiles", default="default,fast")
    parser.add_argument("--requests", type=int, default=15, help="POST /api/analyze requests timed (0: none)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold starts timed (0: none)")
    parser.add_argument("--baseline-tree", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # a measurement in this process, for the tree on PYTHONPATH; one JSON line out
        kind, *rest = args.child
        if kind == "parse":
            found = child_parse(Path(rest[0]), int(rest[1]))
        else:
            found = child_corpus(Path(rest[0]), int(rest[1]), rest[2], Path(rest[3]))
        print(json.dumps(found))
        return

    from cold_start import article_of_words, one_run
    from corpus import real_articles, write_jsonl

    trees = {"this": REPO}
    if args.baseline_tree:
        trees["baseline"] = args.baseline_tree.resolve()
    records = real_articles(args.articles)
    words = sum(len(record["text"].split()) for record in records)
    print(f"{len(records)} articles, {words / len(records):.0f} words on average; {args.workers} workers; "
          f"{os.cpu_count()} cores", flush=True)
    results: dict = {"articles": len(records), "average_words": round(words / len(records)),
                     "workers": args.workers, "cores": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                     "trees": {name: {"profiles": {}} for name in trees}}
    article = article_of_words(500)
    with tempfile.TemporaryDirectory(prefix="sourcetrace-speed-") as tmp:
        folder = Path(tmp)
        source = write_jsonl(records, folder / "articles.jsonl")
        for profile in args.profiles.split(","):
            for name, tree in trees.items():
                parse = in_child(tree, ["parse", str(source), str(args.workers)])
                out = folder / f"{name}-{profile}"
                run = in_child(tree, ["corpus", str(source), str(args.workers), profile, str(out)])
                summary = run["summary"]
                parse_rate = len(records) / parse["wall_seconds"]
                per_worker = summary["articles_per_second"] / args.workers
                found = {
                    "parse_wall_seconds": round(parse["wall_seconds"], 2),
                    "parse_cpu_seconds": round(parse["cpu_seconds"], 2),
                    "run_wall_seconds": round(run["wall_seconds"], 2),
                    "run_cpu_seconds": round(run["cpu_seconds"], 2),
                    "articles_per_second": summary["articles_per_second"],
                    "wall_ratio_per_worker": round(parse_rate / per_worker, 2),
                    "stage_seconds": round(run["stage_seconds"], 2),
                    "steady_ratio": round(run["stage_seconds"] / parse["wall_seconds"], 2),
                    "cpu_ratio": round(run["cpu_seconds"] / parse["cpu_seconds"], 2),
                    "peak_rss_mb_per_worker": summary["peak_rss_mb_per_worker"],
                }
                results["trees"][name]["profiles"][profile] = found
                print(f"{name} {profile}: {found['wall_ratio_per_worker']:.2f}x the bare parse per worker "
                      f"(wall), {found['cpu_ratio']:.2f}x in CPU seconds, {found['steady_ratio']:.2f}x in the "
                      f"analyses' stage seconds; {summary['articles_per_second']:.2f} "
                      f"articles/s; peak {found['peak_rss_mb_per_worker']} MB per worker", flush=True)
        article_path = folder / "article.txt"
        article_path.write_text(article["text"], encoding="utf-8")
        for index in range(args.cold_runs):
            for name, tree in trees.items():
                run = one_run(tree, article_path, folder / f"cold-{name}.json", [])
                results["trees"][name].setdefault("cold_start_runs", []).append(run)
                print(f"{name} cold start {index + 1}: {run['wall_seconds']:.2f} s wall, {run['cpu_seconds']:.2f} s "
                      f"CPU, peak {run['peak_rss_mb']} MB", flush=True)
        for name in trees:
            runs = results["trees"][name].get("cold_start_runs") or []
            if runs:
                results["trees"][name]["cold_start"] = {
                    "median_wall_seconds": round(statistics.median(r["wall_seconds"] for r in runs), 2),
                    "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 2)}
        if args.requests:
            for name, tree in trees.items():
                latency = api_latency(tree, article["text"], args.requests)
                results["trees"][name]["api"] = latency
                print(f"{name} POST /api/analyze ({len(article['text'].split())} words): p50 "
                      f"{latency['p50_seconds']:.2f} s, p90 {latency['p90_seconds']:.2f} s", flush=True)
    results["load_average_at_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
