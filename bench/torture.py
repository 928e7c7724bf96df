"""Torture run: every article and text of ../shared/data plus generated hostile texts through the default
pipeline, reporting exceptions (escaping the pipeline, or caught inside a stage), invalid evidence spans,
the slowest articles and peak memory. Must report 0 exceptions and 0 invalid spans.

    python bench/torture.py --data ../shared/data                      # everything (hours on 2 cores)
    python bench/torture.py --data ../shared/data --per-source 50      # a sample of each source
    python bench/torture.py --hostile-only --scale 0.2 --json out.json # the generated texts, smaller

Sources: PolNeAR train and dev, PTC training articles, SemEval-2023 Russian articles, UNLP-2025 posts,
CheckThat! 2024 sentences, EUvsDisinfo titles, FNC-1 bodies. Texts are read, never copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Texts shorter than this are analysed in batches (sentences, titles, posts); longer ones alone, so that
# each article's own time and memory are measured.
SHORT = 1_500
SHORT_BATCH = 32


def hostile_texts(scale: float = 1.0) -> Iterator[tuple[str, str]]:
    """Generated texts that break naive text code. `scale` shrinks the big ones for a quick run."""
    rng = random.Random(7)
    words = "the minister said that forces had shelled the city on Monday according to officials".split()
    sentence = "Officials said the bridge was closed on Monday, according to Reuters. "
    yield "one_huge_line_1mb", ("x" * 40 + " ") * int(25_000 * scale) if scale < 1 else "y" * 1_000_000
    yield "single_line_200k_chars", " ".join(rng.choice(words) for _ in range(int(30_000 * scale)))
    yield "words_200k", " ".join(rng.choice(words) for _ in range(int(200_000 * scale)))
    yield "only_punctuation", "".join(rng.choice("!?.,;:-—()[]{}'\"«»…") for _ in range(int(20_000 * scale)))
    yield "mixed_scripts", " ".join(["Kyiv Київ Киев كييف 基辅 キーウ Κίεβο קייב", sentence] * int(200 * scale + 1))
    yield "rtl_overrides", (sentence + "\u202eevil\u202c \u2067isolate\u2069 \u200fmark\u200e ") * int(300 * scale + 1)
    yield "zero_width", "\u200b".join(sentence) + "\ufeff" + "\u200d".join("Zelensky said so.")
    yield "nul_bytes", (sentence.replace(" ", "\x00 ") + "\x00") * int(100 * scale + 1)
    yield "control_characters", "".join(chr(c) for c in range(32)) * 20 + sentence
    yield "lone_surrogates", sentence + "\ud800 broken \udfff text. " + sentence
    yield "unbalanced_quotes", ('"The minister said “we will win and ' + sentence + "'") * int(200 * scale + 1)
    yield "quotation_marks_5000", '"' * 5_000 + " said the minister " + "“" * 2_000 + "”" * 3_000
    yield "table_of_numbers", "\n".join(" | ".join(f"{rng.uniform(-1e6, 1e6):.2f}" for _ in range(12))
                                        for _ in range(int(2_000 * scale + 1)))
    yield "emoji", ("🇺🇦🔥💥 " + sentence + "😡👉🏿 #StandWithUkraine @user ") * int(200 * scale + 1)
    yield "markup", ("<div class='x'><script>alert(1)</script><p>" + sentence + "</p>&amp;&lt;&#x202e;"
                     "<!-- said the minister --></div>\n") * int(200 * scale + 1)
    yield "one_char", "a"
    yield "only_newlines", "\n" * 5_000 + "A."
    yield "long_sentence_no_stop", " ".join(rng.choice(words) for _ in range(int(20_000 * scale)))
    yield "said_said_said", "said " * int(20_000 * scale)
    yield "nested_quotes", ('He said "she said \'they said “we said «it is so»”\'" ' * int(300 * scale + 1))
    yield "dates_everywhere", " ".join(f"on {d} March 2022," for d in range(1, 29)) * int(100 * scale + 1)
    yield "prose_near_size_limit", "".join(rng.choice([sentence, "The minister said that forces had shelled "
                                                         "the city on Monday, officials told reporters. "])
                                              for _ in range(int(1_250 * scale)))
    yield "repeated_names", ("Vladimir Putin, Volodymyr Zelensky, Dmitry Peskov, Kharkov, Kharkiv. " *
                             int(500 * scale + 1))


def _polnear(data: Path) -> Iterator[tuple[str, str]]:
    for split in ("train", "dev"):
        for path in sorted((data / "polnear" / split / "text").glob("*.txt")):
            yield f"polnear/{split}/{path.stem}", path.read_text(encoding="utf-8")


def _folder(data: Path, sub: str, label: str) -> Iterator[tuple[str, str]]:
    for path in sorted((data / sub).glob("*.txt")):
        yield f"{label}/{path.stem}", path.read_text(encoding="utf-8")


def _unlp(data: Path) -> Iterator[tuple[str, str]]:
    import pyarrow.parquet as pq

    table = pq.read_table(data / "unlp2025" / "span_detection" / "train.parquet", columns=["id", "content"])
    for row in table.to_pylist():
        yield f"unlp/{row['id']}", row["content"]


def _checkthat(data: Path) -> Iterator[tuple[str, str]]:
    for path in sorted((data / "checkworthy").glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE):
                yield f"checkthat/{path.stem}/{row['Sentence_id']}", row["Text"]


def _euvsdisinfo(data: Path) -> Iterator[tuple[str, str]]:
    with (data / "factchecks" / "euvsdisinfo" / "posts.csv").open(encoding="utf-8", newline="") as stream:
        for number, row in enumerate(csv.DictReader(stream)):
            yield f"euvsdisinfo/{number}", row["title"]


def _fnc1(data: Path) -> Iterator[tuple[str, str]]:
    csv.field_size_limit(10**8)
    with (data / "stance" / "fnc1" / "train_bodies.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            yield f"fnc1/{row['Body ID']}", row["articleBody"]


def shared_sources(data: Path) -> dict[str, Iterator[tuple[str, str]]]:
    return {
        "polnear": _polnear(data),
        "ptc": _folder(data, "ptc/train-articles", "ptc"),
        "semeval23-ru": _folder(data, "semeval23/ru/articles", "semeval23-ru"),
        "unlp": _unlp(data),
        "checkthat": _checkthat(data),
        "euvsdisinfo": _euvsdisinfo(data),
        "fnc1": _fnc1(data),
    }


def invalid_spans(analysis: Any) -> list[str]:
    """Every evidence span whose text is not article.text[start:end], or that lies outside the text."""
    text = analysis.article.text
    bad: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if {"start", "end", "text"} <= node.keys() and isinstance(node.get("start"), int):
                start, end = node["start"], node["end"]
                if not (0 <= start <= end <= len(text)) or text[start:end] != node["text"]:
                    bad.append(f"{where}: [{start}, {end})")
            for key, value in node.items():
                if key != "article":
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(analysis.model_dump(mode="python", by_alias=True), analysis.article.id)
    return bad


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(texts: Iterator[tuple[str, str]], config: dict[str, Any] | None = None,
        progress: bool = True, checkpoint: Path | None = None) -> dict[str, Any]:
    """Analyse every text; return the report (counts, exceptions, invalid spans, slowest, peak memory)."""
    from sourcetrace.api import make_article
    from sourcetrace.errors import InputError
    from sourcetrace.pipeline.registry import TIME_LIMIT_REASON
    from sourcetrace.pipeline.run import load_pipeline

    pipeline = load_pipeline(config=config)
    pipeline.analyze(make_article("Officials said the bridge was closed on Monday.", id="warm-up"))
    report: dict[str, Any] = {"analysed": 0, "refused_input": [], "exceptions": [], "stage_failures": [],
                              "refused_by_limits": [], "stopped_by_time_limit": [], "invalid_spans": [], "times": [],
                              "skipped_stages": 0}
    started = time.perf_counter()
    batch: list[Any] = []

    def analyse(articles: list[Any]) -> None:
        before = time.perf_counter()
        try:
            analyses = pipeline.analyze_batch(articles)
        except Exception as error:  # noqa: BLE001 - counted: the pipeline must never let one escape
            report["exceptions"].append({"ids": [a.id for a in articles], "error": f"{type(error).__name__}: {error}"})
            return
        seconds = (time.perf_counter() - before) / len(articles)
        for article, analysis in zip(articles, analyses):
            report["analysed"] += 1
            report["times"].append((seconds, article.id, len(article.text)))
            for problem in analysis.meta.failed_stages:
                if problem.stage == "limits":
                    target = report["refused_by_limits"]
                elif problem.reason.startswith(TIME_LIMIT_REASON):  # the time bound at work, as documented
                    target = report["stopped_by_time_limit"]
                else:
                    target = report["stage_failures"]
                target.append({"id": article.id, "stage": problem.stage, "reason": problem.reason})
            report["skipped_stages"] += len(analysis.meta.skipped_stages)
            try:
                analysis.to_json()
            except Exception as error:  # noqa: BLE001
                report["exceptions"].append({"ids": [article.id], "error": f"to_json: {type(error).__name__}: {error}"})
            report["invalid_spans"].extend(invalid_spans(analysis))
        if progress and report["analysed"] % 100 < len(articles):
            elapsed = time.perf_counter() - started
            print(f"  {report['analysed']} analysed, {elapsed:.0f} s, rss {rss_mb():.0f} MB", file=sys.stderr)
            if checkpoint is not None:  # a long run that is stopped still leaves its figures so far
                checkpoint.write_text(json.dumps({**report, "seconds": round(elapsed, 1),
                                                  "peak_rss_mb": round(peak_rss_mb(), 0)}, default=str))

    for identifier, text in texts:
        try:
            article = make_article(text, id=identifier)
        except InputError as error:
            report["refused_input"].append({"id": identifier, "error": str(error)})
            continue
        if len(text) < SHORT:
            batch.append(article)
            if len(batch) >= SHORT_BATCH:
                analyse(batch)
                batch = []
        else:
            analyse([article])
    if batch:
        analyse(batch)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["peak_rss_mb"] = round(peak_rss_mb(), 0)
    slowest = sorted(report.pop("times"), reverse=True)[:10]
    report["slowest"] = [{"id": i, "seconds": round(s, 2), "characters": n} for s, i, n in slowest]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--per-source", type=int, default=0, help="at most N texts of each source (0: all)")
    parser.add_argument("--hostile-only", action="store_true", help="only the generated hostile texts")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the big hostile texts (1: full)")
    parser.add_argument("--profile", default=None, help="a settings profile (default: the default pipeline)")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args()

    from sourcetrace.pipeline.settings import load_profile

    def texts() -> Iterator[tuple[str, str]]:
        yield from ((f"hostile/{name}", text) for name, text in hostile_texts(args.scale))
        if args.hostile_only:
            return
        for _source, items in shared_sources(args.data).items():
            for number, item in enumerate(items):
                if args.per_source and number >= args.per_source:
                    break
                yield item

    checkpoint = args.json.with_suffix(".partial.json") if args.json else None
    report = run(texts(), load_profile(args.profile) if args.profile else None, checkpoint=checkpoint)
    summary = {key: (len(value) if isinstance(value, list) and key != "slowest" else value)
               for key, value in report.items()}
    print(json.dumps(summary, indent=2))
    for key in ("exceptions", "stage_failures", "invalid_spans"):
        for item in report[key][:20]:
            print(f"{key}: {item}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if report["exceptions"] or report["stage_failures"] or report["invalid_spans"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
