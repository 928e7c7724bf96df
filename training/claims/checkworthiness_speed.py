"""Encoder time of check-worthiness: a whole fine-tuned MiniLM per claim against the head over the shared pass.

    python -m training.claims.checkworthiness_speed --data ../shared/data/checkworthy --minilm FILE \
        [--sentences 500] [--repeats 3]

On the first `--sentences` CheckThat! 2024 dev sentences, one onnxruntime thread, each figure the best of
`--repeats` runs, in seconds per 100 claims:

- `whole_minilm`: a fine-tuned six-layer MiniLM classifier (`--minilm`, an int8 ONNX file with inputs
  input_ids and attention_mask) run over every claim, one claim per call;
- `shared_pass`: the shared MiniLM pass over the same sentences (each alone), which the analysis runs anyway
  for its other heads and for the sentence embedder;
- `head`: the shipped head alone, over the shared pass's vectors, one claim per call.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sourcetrace.evaluate.checkworthiness import read_checkworthy_tsv


def best_of(repeats: int, run) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the CT24 dev TSV")
    parser.add_argument("--minilm", type=Path, required=True, help="a whole fine-tuned MiniLM classifier (ONNX)")
    parser.add_argument("--sentences", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from sourcetrace._ml.shared_encoder import SharedEncoder
    from sourcetrace.stages.claims.checkworthiness import (
        SHARED_MODEL_DIR,
        MinilmScorer,
        TopLayersScorer,
        load_checkworthiness_model,
    )

    texts = [row.text for row in read_checkworthy_tsv(args.data / "CT24_checkworthy_english_dev.tsv")]
    texts = texts[: args.sentences]
    settings = load_checkworthiness_model(SHARED_MODEL_DIR).config["minilm"]
    layer = int(settings["shared_layer"])
    whole = MinilmScorer(args.minilm, threads=1)
    head = TopLayersScorer(SHARED_MODEL_DIR / settings["file"], layer, threads=1)
    encoder = SharedEncoder(threads=1)
    encoder.require_layers([layer])
    spans, position = [], 0
    for text in texts:
        spans.append((position, position + len(text)))
        position += len(text) + 1
    joined = "\n".join(texts)
    encoding = encoder.encode_spans(joined, spans)
    from sourcetrace.stages.claims.checkworthiness import claim_pieces

    pieces = [claim_pieces(encoding, [span], layer) for span in spans]
    whole.score(texts[:5])
    head.score_pieces(pieces[0])
    per_100 = 100 / len(texts)
    report = {
        "sentences": len(texts),
        "threads": 1,
        "seconds_per_100_claims": {
            "whole_minilm": round(best_of(args.repeats, lambda: whole.score(texts)) * per_100, 3),
            "shared_pass": round(best_of(args.repeats, lambda: encoder.encode_spans(joined, spans)) * per_100, 3),
            "head": round(best_of(args.repeats, lambda: [head.score_pieces(p) for p in pieces]) * per_100, 3),
        },
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
