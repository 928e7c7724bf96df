"""Choose the fact-check decision thresholds for precision: CheckThat! 2020 train pairs as positives, sentences of
ordinary news (PolNeAR train) as negatives.

Every sentence of ordinary news is taken as making no checked claim (a few may, and are read by hand in the
output); the thresholds keep the decided findings on those sentences at most `--max-per-1000` per 1,000
sentences while deciding on as many CheckThat! train tweets (each of which does make its checked claim) as
possible. 3-fold cross-validation by article/tweet reports how stable the choice is.

    python -m training.factchecks.decision_thresholds --db STORE --polnear ../shared/data/polnear/train \\
        --queries ../shared/data/factchecks/clef2020-task2/train/tweets.queries.tsv \\
        --qrels ../shared/data/factchecks/clef2020-task2/train/tweet-vclaim-pairs.qrels --articles 80

The store must hold the CheckThat! verified claims (and the other collections the product is used with). Writes
the candidates to `--out` (JSON) and prints the chosen settings; copy them into `stage.py`'s defaults.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from sourcetrace.stages.factchecks.decision import DecisionSettings, decide

FLOOR = {"score": 0.3, "cosine": 0.45}
GRID = {
    "threshold": (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
    "min_cosine": (0.5, 0.55, 0.6, 0.65, 0.7, 0.75),
    "min_overlap": (0.2, 0.3, 0.4, 0.5, 0.6),
}


def candidates_of(matcher, texts, sentences, who, group):  # noqa: ANN001, ANN201
    """Per unit: its candidates above the floor with what `decide` reads."""
    vectors = matcher.embedder.encode(texts)
    results = matcher.index.search(texts, vectors, top_k=3, threshold=0.0, min_cosine=matcher.min_cosine,
                                   rerank_min_cosine=FLOOR["cosine"])
    out = []
    for text, sentence, attributed, key, matches in zip(texts, sentences, who, group, results):
        kept = [m for m in matches if m.score >= FLOOR["score"] and m.cosine >= FLOOR["cosine"]]
        if not kept:
            continue
        claims = [matcher.rows[m.index]["claim"] for m in kept]
        stances = matcher.stance.predict_proba(claims, [sentence] * len(kept))
        for match, claim, probabilities in zip(kept, claims, stances):
            out.append({"group": key, "text": text, "sentence": sentence, "claim": claim, "who": attributed,
                        "score": match.score, "cosine": match.cosine, "stance": probabilities.tolist(),
                        "factcheck_id": matcher.rows[match.index]["id"]})
    return out


def news_candidates(matcher, folder: Path, limit: int) -> tuple[list[dict], int]:  # noqa: ANN001
    from sourcetrace.analysis import ArticleInfo
    from sourcetrace.pipeline.run import Pipeline
    from sourcetrace.stages.factchecks.stage import _attributed_to, _sentence_of

    pipeline = Pipeline(["backbone", "attribution", "claims"])
    files = sorted((folder / "text").glob("*.txt"))[:limit]
    rows, sentences = [], 0
    for path in files:
        analysis = pipeline.analyze(ArticleInfo(id=path.stem, text=path.read_text(encoding="utf-8")))
        sentences += len(analysis.sentences)
        units = ([(c.id, c.span) for c in analysis.claims] if analysis.claims else
                 [(None, s) for s in analysis.sentences if len(s.text.split()) >= 4])
        if not units:
            continue
        rows += candidates_of(matcher, [span.text for _, span in units],
                              [_sentence_of(analysis, span) for _, span in units],
                              [_attributed_to(analysis, claim_id, span) for claim_id, span in units],
                              [path.stem] * len(units))
    return rows, sentences


def tweet_candidates(matcher, queries: Path, qrels: Path) -> tuple[list[dict], int]:  # noqa: ANN001
    from sourcetrace.datasets.checkthat import read_qrels, read_queries
    from sourcetrace.stages.factchecks.retrieval import clean_query

    texts = read_queries(queries)
    relevant = read_qrels(qrels)
    ids = [q for q in texts if q in relevant]
    cleaned = [clean_query(texts[q]) for q in ids]
    rows = candidates_of(matcher, cleaned, cleaned, [None] * len(ids), ids)
    wanted = {}
    for row in matcher.rows:
        vclaim = (row.get("extra") or {}).get("vclaim_id")
        if vclaim:
            wanted[row["id"]] = vclaim
    for row in rows:
        row["positive"] = wanted.get(row["factcheck_id"]) in relevant[row["group"]]
    return rows, len(ids)


def decided(rows: list[dict], settings: DecisionSettings) -> list[dict]:
    return [row for row in rows if decide(row["sentence"], row["claim"], row["score"], row["cosine"], row["stance"],
                                          row["who"], settings).kind is not None]


def choose(news: list[dict], sentences: int, tweets: list[dict], queries: int, max_per_1000: float
           ) -> tuple[DecisionSettings, float, float]:
    """The grid point with the most tweets decided on their right fact-check, within the news budget (the grid
    goes from loose to strict, so ties go to the strictest)."""
    best = (DecisionSettings(threshold=1.0), -1.0, 0.0)
    for threshold, min_cosine, min_overlap in itertools.product(*GRID.values()):
        settings = DecisionSettings(threshold=threshold, min_cosine=min_cosine, min_overlap=min_overlap)
        rate = 1000 * len(decided(news, settings)) / max(sentences, 1)
        if rate > max_per_1000:
            continue
        recall = len({r["group"] for r in decided(tweets, settings) if r["positive"]}) / max(queries, 1)
        if recall >= best[1]:  # ties go to the later, stricter grid point
            best = (settings, recall, rate)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=80)
    parser.add_argument("--max-per-1000", type=float, default=0.7,
                        help="findings of any kind per 1,000 news sentences the thresholds may allow")
    parser.add_argument("--out", type=Path, default=Path("decision_candidates.json"))
    args = parser.parse_args()

    from sourcetrace.stages.factchecks.stage import FactcheckMatcher

    started = time.perf_counter()
    if args.out.exists():
        saved = json.loads(args.out.read_text(encoding="utf-8"))
    else:
        matcher = FactcheckMatcher({"db": str(args.db)})
        news, sentences = news_candidates(matcher, args.polnear, args.articles)
        tweets, queries = tweet_candidates(matcher, args.queries, args.qrels)
        saved = {"news": news, "sentences": sentences, "tweets": tweets, "queries": queries}
        args.out.write_text(json.dumps(saved), encoding="utf-8")
    news, sentences, tweets, queries = saved["news"], saved["sentences"], saved["tweets"], saved["queries"]
    print(f"{sentences} news sentences ({len(news)} candidates above the floor), {queries} tweets "
          f"({len(tweets)} candidates); {time.perf_counter() - started:.0f} s")

    settings, recall, rate = choose(news, sentences, tweets, queries, args.max_per_1000)
    print(f"chosen on all: {settings} -> tweets decided on their fact-check {recall:.3f}, news {rate:.2f}/1,000")

    # 3-fold by article / tweet: choose on two folds, read the third
    rng = np.random.default_rng(0)
    groups = sorted({r["group"] for r in news})
    articles = {g: int(f) for g, f in zip(groups, rng.integers(0, 3, len(groups)))}
    tweet_ids = sorted({r["group"] for r in tweets})
    tweet_fold = {g: int(f) for g, f in zip(tweet_ids, rng.integers(0, 3, len(tweet_ids)))}
    for fold in range(3):
        fit_news = [r for r in news if articles.get(r["group"]) != fold]
        test_news = [r for r in news if articles.get(r["group"]) == fold]
        fit_tweets = [r for r in tweets if tweet_fold[r["group"]] != fold]
        test_tweets = [r for r in tweets if tweet_fold[r["group"]] == fold]
        share = sum(1 for g in articles.values() if g == fold) / max(len(articles), 1)
        chosen, _, _ = choose(fit_news, int(sentences * (1 - share)), fit_tweets, int(queries * 2 / 3),
                              args.max_per_1000)
        test_rate = 1000 * len(decided(test_news, chosen)) / max(sentences * share, 1)
        test_recall = len({r["group"] for r in decided(test_tweets, chosen) if r["positive"]}) / max(queries / 3, 1)
        print(f"fold {fold}: {chosen} -> held-out tweets {test_recall:.3f}, news {test_rate:.2f}/1,000")
    print("news candidates decided with the chosen settings:")
    for row in decided(news, settings):
        kind = decide(row["sentence"], row["claim"], row["score"], row["cosine"], row["stance"], row["who"],
                      settings).kind
        print(f"  [{kind}] {row['group']}: {row['text'][:120]!r} ~ {row['claim'][:100]!r} "
              f"({row['score']:.2f}, {row['cosine']:.2f})")


if __name__ == "__main__":
    main()
