"""Encode a SemEval-2023 folder's articles once with the packaged MiniLM and cache the word-piece vectors of
layer 3 and layer 6 together (one pass), in the layout `train.encode_all` reads: `CACHE/l3/ID.npz` and
`CACHE/ID.npz` (all six layers).

    nice -n 10 python -m training.techniques.encode_layers --data ../shared/data/semeval23/en --cache DIR
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.onnx import onnx_session
from sourcetrace._ml.weights import minilm_int8_path
from sourcetrace.datasets.semeval23 import read_semeval23
from sourcetrace.stages.techniques.encoder import PieceEncoder, line_sentences

LAYERS = (3, 6)


class _BothLayers:
    """An onnxruntime session over MiniLM that returns layers 3 and 6 side by side (one hidden tensor of twice
    the width), so `PieceEncoder.encode` chunks and aligns both at once."""

    def __init__(self) -> None:
        import onnx
        from onnx.utils import Extractor

        model = onnx.load(str(minilm_int8_path()))
        inputs = [i.name for i in model.graph.input]
        # layer 3 ends in `layer_norm_6` (two layer norms a layer); the last layer is the graph's own output
        outputs = ["layer_norm_6", model.graph.output[0].name]
        self.session = onnx_session(Extractor(model).extract_model(inputs, outputs).SerializeToString())

    def get_inputs(self) -> Any:
        return self.session.get_inputs()

    def run(self, names: Any, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [np.concatenate(self.session.run(None, feed), axis=2)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a SemEval-2023 folder (articles/, spans/)")
    parser.add_argument("--cache", type=Path, required=True)
    args = parser.parse_args(argv)
    texts, _ = read_semeval23(args.data)
    encoder = PieceEncoder(layers=6)
    encoder.session = _BothLayers()
    (args.cache / "l3").mkdir(parents=True, exist_ok=True)
    started = time.time()
    for n, (article_id, text) in enumerate(sorted(texts.items()), start=1):
        if (args.cache / f"{article_id}.npz").exists():
            continue
        result = encoder.encode(text, line_sentences(text))
        width = result.vectors.shape[1] // 2
        for path, vectors in ((args.cache / "l3" / f"{article_id}.npz", result.vectors[:, :width]),
                              (args.cache / f"{article_id}.npz", result.vectors[:, width:])):
            np.savez(path, offsets=result.offsets, vectors=vectors.astype(np.float16), sentence=result.sentence)
        if n % 25 == 0:
            print(f"{n}/{len(texts)} encoded ({time.time() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
