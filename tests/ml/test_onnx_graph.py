"""Cutting ONNX graphs on the protobuf messages alone: the same tensors as the whole graph, no `onnx` import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sourcetrace._ml.onnx import onnx_session
from sourcetrace._ml.onnx_graph import graph_with_outputs, onnx_messages
from sourcetrace._ml.weights import minilm_int8_path


def feed() -> dict[str, np.ndarray]:
    ids = np.array([[101, 1996, 3522, 2056, 2006, 6928, 1012, 102]], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def test_a_cut_graph_computes_what_the_whole_graph_does() -> None:
    cut = onnx_session(graph_with_outputs(minilm_int8_path(), ["layer_norm_2", "layer_norm_4"]))
    whole = onnx_session(graph_with_outputs(minilm_int8_path(), ["layer_norm_4", "last_hidden_state"]))
    assert [output.name for output in cut.get_outputs()] == ["layer_norm_2", "layer_norm_4"]
    early, late = cut.run(None, feed())
    assert np.array_equal(late, whole.run(["layer_norm_4"], feed())[0])
    assert early.shape == late.shape and not np.allclose(early, late)


def test_a_cut_graph_keeps_only_the_nodes_its_outputs_need() -> None:
    messages = onnx_messages()
    whole, cut = messages.ModelProto(), messages.ModelProto()
    whole.ParseFromString(minilm_int8_path().read_bytes())
    cut.ParseFromString(graph_with_outputs(minilm_int8_path(), ["layer_norm_2"]))
    assert 0 < len(cut.graph.node) < len(whole.graph.node) / 2
    assert [tensor.name for tensor in cut.graph.input] == [tensor.name for tensor in whole.graph.input]


def test_an_unknown_tensor_is_refused() -> None:
    with pytest.raises(ValueError, match="no tensor named layer_norm_99"):
        graph_with_outputs(minilm_int8_path(), ["layer_norm_99"])


def test_cutting_does_not_import_the_onnx_package() -> None:
    code = ("import sys; from sourcetrace._ml.onnx_graph import graph_with_outputs; "
            "from sourcetrace._ml.weights import minilm_int8_path; "
            "graph_with_outputs(minilm_int8_path(), ['layer_norm_2']); "
            "print('onnx' in sys.modules, 'ml_dtypes' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
