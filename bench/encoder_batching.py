"""What batching, length bucketing and threads do for the MiniLM encoder on CPU, measured in one run.

    python bench/encoder_batching.py --articles 20 --repeats 3 --json docs/results/speed-encoder-batching.json

The texts are the sentences of PolNeAR articles (../shared/data, read, never copied), encoded by the shared
encoder's session (`sourcetrace._ml.shared_encoder`) in the ways a pipeline could batch them:

- `one_per_run`: one sentence per ONNX run;
- `equal_length`: sentences of the same length in word pieces batched together, no padding (what the embedder
  and the article pass do: a sentence's vector then never depends on its neighbours);
- `sorted_padded`: batches of 32 after sorting by length, padded to the longest (length bucketing with padding);
- `unsorted_padded`: batches of 32 in text order, padded to the longest (no bucketing);

each with 1 and 2 intra-op threads, and with the threads spinning or sleeping while they wait. Each variant is
timed in turn within each repeat (the machine's load drifts); CPU seconds are the process's, wall seconds the
clock's; the median over repeats is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def batches(lengths: list[int], how: str, size: int = 32) -> list[list[int]]:
    from sourcetrace._ml.shared_encoder import equal_length_batches

    order = list(range(len(lengths)))
    if how == "one_per_run":
        return [[i] for i in order]
    if how == "equal_length":
        return list(equal_length_batches(lengths, 64))
    if how == "sorted_padded":
        order.sort(key=lambda i: lengths[i])
    return [order[start : start + size] for start in range(0, len(order), size)]


def encode(session, ids: list[list[int]], groups: list[list[int]]) -> None:  # noqa: ANN001 - an onnxruntime session
    for group in groups:
        width = max(len(ids[i]) for i in group)
        batch = np.zeros((len(group), width), dtype=np.int64)
        mask = np.zeros_like(batch)
        for row, index in enumerate(group):
            batch[row, : len(ids[index])] = ids[index]
            mask[row, : len(ids[index])] = 1
        session.run(["last_hidden_state"], {"input_ids": batch, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(batch)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from corpus import real_articles

    from sourcetrace._ml.onnx import onnx_session
    from sourcetrace._ml.shared_encoder import load_shared_encoder
    from sourcetrace.pipeline.backbone import load_spacy

    nlp = load_spacy()
    sentences = [s.text for doc in nlp.pipe([r["text"] for r in real_articles(args.articles)]) for s in doc.sents
                 if s.text.strip()]
    encoder = load_shared_encoder()
    ids = [[encoder.cls_id, *e.ids[:254], encoder.sep_id]
           for e in encoder.tokenizer.encode_batch(sentences, add_special_tokens=False)]
    lengths = [len(row) for row in ids]
    print(f"{len(sentences)} sentences, {statistics.mean(lengths):.0f} word pieces on average", flush=True)
    sessions = {}
    for threads in (1, 2):
        for spinning in ("0", "1"):
            os.environ["SOURCETRACE_ONNX_SPINNING"] = spinning
            sessions[(threads, spinning)] = onnx_session(encoder.model_path, threads)
    os.environ.pop("SOURCETRACE_ONNX_SPINNING", None)
    variants = [(how, threads, spinning) for how in ("one_per_run", "equal_length", "sorted_padded", "unsorted_padded")
                for threads in (1, 2) for spinning in ("0", "1")]
    timings: dict[tuple, list[tuple[float, float]]] = {variant: [] for variant in variants}
    encode(sessions[(1, "0")], ids, batches(lengths, "equal_length")[:4])  # warm up
    for repeat in range(args.repeats):
        for variant in variants:
            how, threads, spinning = variant
            groups = batches(lengths, how)
            wall, cpu = time.perf_counter(), time.process_time()
            encode(sessions[(threads, spinning)], ids, groups)
            timings[variant].append((time.perf_counter() - wall, time.process_time() - cpu))
        print(f"repeat {repeat + 1} done", flush=True)
    results = {"sentences": len(sentences), "articles": args.articles, "cores": os.cpu_count(),
               "load_average": os.getloadavg(), "variants": []}
    for variant in variants:
        how, threads, spinning = variant
        wall = statistics.median(t[0] for t in timings[variant])
        cpu = statistics.median(t[1] for t in timings[variant])
        results["variants"].append({"batching": how, "threads": threads, "spinning": spinning == "1",
                                    "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                                    "sentences_per_wall_second": round(len(sentences) / wall, 1)})
        print(f"{how:16} threads {threads} {'spinning' if spinning == '1' else 'sleeping':8}: {wall:6.2f} s wall "
              f"{cpu:6.2f} s CPU ({len(sentences) / wall:.0f} sentences/s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
