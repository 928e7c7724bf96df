"""Cold start of `sourcetrace analyze` on a 500-word article, as a new user meets it: a fresh Python process that
imports, loads every model of the default analysis and analyses one article.

    python bench/cold_start.py                                   # 5 runs of this tree
    python bench/cold_start.py --baseline-tree /tmp/old --json docs/results/speed-cold-start.json

Each run reports wall-clock seconds and the process's CPU seconds (user + system): on a shared machine the wall
clock grows with the load, the CPU time much less. With `--baseline-tree` (a checkout of another version, e.g.
`git archive REV | tar -x -C DIR`), runs of the two trees alternate, so both meet the same load.
The article: the PolNeAR text closest to 500 words (../shared/data, read, never copied).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))


def article_of_words(words: int) -> dict:
    from corpus import real_articles

    return min(real_articles(400), key=lambda record: abs(len(record["text"].split()) - words))


def one_run(tree: Path, article: Path, out: Path, extra: list[str]) -> dict:
    """Wall and CPU seconds, and peak memory, of one `python -m sourcetrace analyze` in a fresh process."""
    environment = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sourcetrace", "analyze", str(article), "-f", "json",
                                "-o", str(out), *extra], env=environment, cwd=str(tree), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time and peak memory
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"sourcetrace analyze failed in {tree} (exit {process.returncode})")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def summary(runs: list[dict]) -> dict:
    return {"runs": runs,
            "median_wall_seconds": round(statistics.median(r["wall_seconds"] for r in runs), 2),
            "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--baseline-tree", type=Path, default=None, help="another checkout, timed alternately")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("analyze_options", nargs="*", help="more options for `sourcetrace analyze` (after --)")
    args = parser.parse_args()

    record = article_of_words(args.words)
    trees = {"this": REPO}
    if args.baseline_tree:
        trees["baseline"] = args.baseline_tree.resolve()
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        article = Path(folder) / f"{record['id']}.txt"
        article.write_text(record["text"], encoding="utf-8")
        for index in range(args.runs):
            for name, tree in trees.items():
                run = one_run(tree, article, Path(folder) / f"{name}.json", args.analyze_options)
                runs[name].append(run)
                print(f"{name} run {index + 1}: {run['wall_seconds']:.2f} s wall, {run['cpu_seconds']:.2f} s CPU, "
                      f"peak {run['peak_rss_mb']} MB", flush=True)
    load = os.getloadavg()
    results = {"article": record["id"], "words": len(record["text"].split()),
               "load_average_1_5_15": [round(x, 2) for x in load],
               "trees": {name: summary(found) for name, found in runs.items()}}
    for name, found in results["trees"].items():
        print(f"{name}: median {found['median_wall_seconds']:.2f} s wall, {found['median_cpu_seconds']:.2f} s CPU")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
