"""What batch invariance costs: each part of the analysis that was batched across articles, timed the batch-
invariant way the pipeline runs it now and the old batched way, on the same articles in the same run.

- parse: spaCy with blis matrix products (rows independent of the batch) against numpy's OpenBLAS ones;
- attribution tagger: one window per ONNX call against padded batches of 16 windows;
- sentence embedder (the shared MiniLM pass that the check-worthiness and techniques heads read runs the same
  way): batches of equal-length texts (no padding) against padded batches of 64.

Each pair is timed in turn, `--repeats` times, and the median reported; the whole analysis of the same articles
(the way it runs now) is timed too, so that the extra seconds of the parts it runs read as a share of it (the
embedder runs in the analysis only where a fact-check store is imported; corpus runs also embed every claim).

    python bench/batch_invariance.py --articles 40 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def padded_tagger_windows(tagger, texts: list[str], batch_size: int = 16) -> None:  # noqa: ANN001
    """The tagger's old batched pass: windows of all texts sorted by length, padded batches of 16."""
    from sourcetrace.stages.attribution.tagger import WINDOW

    encodings = tagger.tokenizer.encode_batch(texts, add_special_tokens=False)
    jobs = []
    for t, encoding in enumerate(encodings):
        n = len(encoding.ids)
        starts = list(range(0, max(n - WINDOW, 0) + 1, WINDOW // 2))
        if starts[-1] + WINDOW < n:
            starts.append(n - WINDOW)
        jobs.extend((t, start, min(n, start + WINDOW)) for start in starts)
    jobs.sort(key=lambda job: job[2] - job[1])
    for first in range(0, len(jobs), batch_size):
        batch = jobs[first : first + batch_size]
        length = max(end - start for _, start, end in batch) + 2
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for b, (t, start, end) in enumerate(batch):
            ids[b, : end - start + 2] = [tagger.cls_id, *encodings[t].ids[start:end], tagger.sep_id]
            mask[b, : end - start + 2] = 1
        tagger.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})


def padded_batches(session, tokenizer, texts: list[str], output: str, batch_size: int = 64) -> None:  # noqa: ANN001
    """The old way of the embedder: texts sorted by length, padded batches."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        encodings = tokenizer.encode_batch([texts[i] or " " for i in order[start : start + batch_size]])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.zeros_like(ids)}
        session.run([output], feed)


def timed(function) -> float:  # noqa: ANN001
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import spacy
    from corpus import real_articles
    from thinc.api import NumpyOps, set_current_ops

    from sourcetrace._ml.embedder import MAX_TOKENS, load_embedder
    from sourcetrace._ml.onnx import wordpiece_tokenizer
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.backbone import MODEL_PACKAGE, load_spacy
    from sourcetrace.pipeline.run import load_pipeline

    records = real_articles(args.articles)
    texts = [record["text"] for record in records]
    articles = [make_article(record["text"], id=record["id"], published=record.get("published")) for record in records]
    words = sum(len(text.split()) for text in texts)
    print(f"{len(records)} articles, {words / len(records):.0f} words on average", flush=True)

    pipeline = load_pipeline()
    pipeline.analyze_batch(articles[:2])  # warm up
    analyses = pipeline.analyze_batch(articles)
    claims = [claim.span.text for analysis in analyses for claim in analysis.claims]

    blis_nlp = load_spacy()
    set_current_ops(NumpyOps(use_blis=False))
    openblas_nlp = spacy.load(MODEL_PACKAGE)
    set_current_ops(NumpyOps(use_blis=True))
    tagger = next(stage for stage in pipeline.stages if stage.name == "attribution").tagger
    embedder = load_embedder()
    padded_tokenizer = wordpiece_tokenizer(MAX_TOKENS)
    factchecks = next((stage for stage in pipeline.stages if stage.name == "factchecks"), None)
    embedder_in_analysis = factchecks is not None and factchecks.index is not None

    parts = {
        "parse": (lambda: list(blis_nlp.pipe(texts, batch_size=32)),
                  lambda: list(openblas_nlp.pipe(texts, batch_size=32))),
        "attribution tagger": (lambda: tagger.piece_probabilities(texts),
                               lambda: padded_tagger_windows(tagger, texts)),
        "sentence embedder": (lambda: embedder.encode(claims),
                              lambda: padded_batches(embedder.session, padded_tokenizer, claims, "last_hidden_state")),
    }
    seconds: dict[str, dict[str, list[float]]] = {name: {"invariant": [], "batched": []} for name in parts}
    analysis_seconds = []
    for repeat in range(args.repeats):
        analysis_seconds.append(timed(lambda: pipeline.analyze_batch(articles)))
        for name, (invariant, batched) in parts.items():
            seconds[name]["invariant"].append(timed(invariant))
            seconds[name]["batched"].append(timed(batched))
        print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)

    analysis = statistics.median(analysis_seconds)
    report = {"articles": len(records), "claims": len(claims), "analysis_seconds": round(analysis, 2), "parts": {}}
    extra = 0.0
    print(f"\nwhole analysis (batch-invariant): {analysis:.2f} s for {len(records)} articles, {len(claims)} claims")
    print(f"{'part':26} {'invariant s':>11} {'batched s':>10} {'ratio':>6}")
    for name, timing in seconds.items():
        new, old = statistics.median(timing["invariant"]), statistics.median(timing["batched"])
        in_analysis = name != "sentence embedder" or embedder_in_analysis
        extra += (new - old) if in_analysis else 0.0
        report["parts"][name] = {"invariant_seconds": round(new, 3), "batched_seconds": round(old, 3),
                                 "ratio": round(new / old, 3), "in_analysis": in_analysis}
        print(f"{name:26} {new:11.2f} {old:10.2f} {new / old:6.2f}{'' if in_analysis else '  (not in this analysis)'}")
    report["analysis_ratio_to_batched"] = round(analysis / (analysis - extra), 3)
    print(f"\nthe analysis takes {report['analysis_ratio_to_batched']:.2f}x the time the batched parts would give "
          f"({extra:+.2f} s of {analysis:.2f} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
