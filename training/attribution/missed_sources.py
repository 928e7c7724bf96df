"""Gold `Source` spans of PolNeAR-format data that the attribution stage does not find, grouped by pattern.

A gold source is found when a predicted attribution's source overlaps it. A miss is either `no cue` (no
predicted cue overlaps the gold cue: the whole statement is missed) or `cue, other source` (the cue was found
but its source is another span or none). Each miss gets the first matching pattern of `PATTERNS` (cue shape
such as "according to", passive "was quoted", noun cues "in a statement", anonymous heads such as "officials",
headline and byline lines) and the table lists patterns by frequency with examples.

    python -m training.attribution.missed_sources --data ../shared/data/polnear/train \\
        --names sourcetrace/data/models/attribution/tuning_ids.txt --cache /tmp/missed.json

`--names`: analyse only these articles (the tuning articles, which neither the tagger nor the ranker's held-out
copy saw, give the least biased picture of train). `--cache`: predictions are stored there and reused, so
the grouping can be changed without running the pipeline again.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from sourcetrace.datasets.polnear import ROLES, AnnotatedArticle, GoldAttribution, read_gold_dir
from sourcetrace.evaluate.attribution import Scores, score_file

ANONYMOUS_HEADS = re.compile(
    r"\b(officials?|sources?|spokes(?:man|woman|person)|aides?|advisers?|advisors?|people|experts?|analysts?|"
    r"critics?|supporters?|observers?|residents?|witnesses|insiders?|staffers?|strategists?|operatives?|"
    r"leaders?|members?|voters?|democrats|republicans|lawmakers|investigators|authorities|police|someone|"
    r"many|some|others|several|most)\b", re.I)
PRONOUNS = re.compile(r"^(he|she|they|it|we|i|you|who|which|that|this|these|those)$", re.I)


def _lower(text: str, spans: list[tuple[int, int]]) -> str:
    return " ".join(text[a:b] for a, b in spans).lower()


def _pattern(text: str, gold: GoldAttribution, found_cue: bool) -> str:
    source = _lower(text, gold.source)
    cue = _lower(text, gold.cue)
    start = min(a for a, _ in gold.source)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start: line_end if line_end >= 0 else len(text)]
    before = text[max(0, start - 40): start].lower()
    shape = "cue, other source" if found_cue else "no cue"
    checks: list[tuple[str, Callable[[], bool]]] = [
        ("headline/byline line", lambda: line_start < 400 and len(line.split()) < 16 and "said" not in cue),
        ("according to", lambda: "according to" in cue or "according to" in before[-15:]),
        ("quoted as / was quoted", lambda: "quot" in cue),
        ("passive (was told / by X)", lambda: bool(re.search(r"\b(was|were|been|is|are)\b .*\b(by)?\b", cue))
         and bool(re.search(r"\bby\b", before[-6:] + " " + source[:3]))),
        ("noun cue (statement, interview, remarks, report)", lambda: bool(re.search(
            r"\b(statement|interview|remarks?|report|comments?|speech|tweet|post|release|letter|view|"
            r"argument|claim|belief|opinion|estimate|analysis|poll|survey|study)\b", cue))),
        ("pronoun source", lambda: bool(PRONOUNS.match(source.strip()))),
        ("anonymous head", lambda: bool(ANONYMOUS_HEADS.search(source)) and not any(
            w[:1].isupper() for w in " ".join(text[a:b] for a, b in gold.source).split()[1:])),
        ("possessive source (X's view)", lambda: bool(re.search(r"('s|s')$", source.strip()))
         or bool(re.match(r"^(his|her|their|its)\b", source))),
        ("thought/belief verb", lambda: bool(re.search(
            r"\b(think|thinks|thought|believe[sd]?|feel|feels|felt|know|knows|knew|expect|hope|want|fear|"
            r"worr|argu|insist|suggest|warn|predict|acknowledg|admit|conced|den|agree|disput|doubt)", cue))),
        ("speech verb", lambda: bool(re.search(
            r"\b(say|says|said|saying|tell|told|tells|ask|asked|add|added|note|noted|explain|state|declar|"
            r"announc|claim|wrote|write|writes|tweet|report|call|called)", cue))),
    ]
    for name, check in checks:
        if check():
            return f"{shape} | {name}"
    return f"{shape} | other cue"


def _overlaps(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> bool:
    return any(a < d and c < b for a, b in first for c, d in second)


def _predict(articles: list[AnnotatedArticle], cache: Path | None) -> dict[str, list[dict[str, list]]]:
    if cache is not None and cache.exists():
        return json.loads(cache.read_text())
    from sourcetrace.api import make_article
    from sourcetrace.evaluate.attribution import predicted_roles
    from sourcetrace.pipeline.run import Pipeline

    pipeline = Pipeline(("backbone", "attribution"), {})
    texts = {article.name: article.text for article in articles}
    names = list(texts)
    predictions: dict[str, list[dict[str, list]]] = {}
    for first in range(0, len(names), 8):
        chunk = names[first: first + 8]
        for name, analysis in zip(chunk, pipeline.analyze_batch([make_article(texts[n], id=n) for n in chunk])):
            predictions[name] = [{"source": p.source, "cue": p.cue, "content": p.content}
                                 for p in predicted_roles(analysis)]
    if cache is not None:
        cache.write_text(json.dumps(predictions))
    return predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="PolNeAR-format folder (text/, attributions/)")
    parser.add_argument("--names", type=Path, help="file of article names to analyse, one a line")
    parser.add_argument("--cache", type=Path, help="JSON file for the predictions (reused when present)")
    parser.add_argument("--examples", type=int, default=4)
    args = parser.parse_args()
    articles = read_gold_dir(args.data)
    if args.names:
        wanted = set(args.names.read_text().split())
        articles = [a for a in articles if a.name in wanted]
    predictions = _predict(articles, args.cache)
    scores = Scores()
    for article in articles:
        predicted = [GoldAttribution(**{role: [tuple(f) for f in (item[role] or [])] for role in ROLES})
                     for item in predictions[article.name]]
        score_file(scores, article.text, article.attributions, predicted)
    exact = scores.to_dict()["exact"]
    print("exact P/R/F1 on these articles: " + "; ".join(
        f"{role} {exact[role]['precision']:.3f}/{exact[role]['recall']:.3f}/{exact[role]['f1']:.3f}"
        for role in ROLES))
    groups: dict[str, list[str]] = defaultdict(list)
    total = Counter()
    for article in articles:
        predicted = predictions[article.name]
        for gold in article.attributions:
            if not gold.source:
                continue
            total["gold sources"] += 1
            if any(p["source"] and _overlaps(gold.source, [tuple(s) for s in p["source"]]) for p in predicted):
                total["found"] += 1
                continue
            found_cue = bool(gold.cue) and any(
                p["cue"] and _overlaps(gold.cue, [tuple(s) for s in p["cue"]]) for p in predicted)
            start, end = min(a for a, _ in gold.source), max(b for _, b in gold.source)
            context = article.text[max(0, start - 60): end + 60].replace("\n", " / ")
            groups[_pattern(article.text, gold, found_cue)].append(
                f"[{article.text[start:end]}] cue [{_lower(article.text, gold.cue)}] :: ...{context}...")
    print(f"{total['gold sources']} gold sources, {total['found']} found "
          f"({total['found'] / max(1, total['gold sources']):.3f}); missed by pattern:")
    for name, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(items):4d}  {name}")
        for example in items[: args.examples]:
            print(f"        {example}")


if __name__ == "__main__":
    main()
