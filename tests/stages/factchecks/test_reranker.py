"""The weight-only int8 ONNX export of fine-tuned MiniLM models, and the fact-check cross-encoder it ships."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from sourcetrace.stages.factchecks.reranker import load_reranker
from training.onnx_export import quantize_weights_int8


def test_weight_only_int8_stores_int8_and_keeps_the_output(tmp_path) -> None:
    rng = np.random.RandomState(0)
    table = rng.normal(size=(300, 128)).astype(np.float32)
    weights = rng.normal(size=(128, 64)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["embedded"]),
         helper.make_node("MatMul", ["embedded", "weights"], ["out"])],
        "tiny", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 64])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(weights, "weights")])
    source, quantized = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(source))
    quantize_weights_int8(source, quantized)
    stored = {t.name: t.data_type for t in onnx.load(str(quantized)).graph.initializer}
    assert stored["table_int8"] == stored["weights_int8"] == TensorProto.INT8
    assert "table" not in stored and "weights" not in stored
    ids = np.array([0, 7, 299], dtype=np.int64)
    expected = table[ids] @ weights
    (got,) = onnxruntime.InferenceSession(str(quantized)).run(None, {"ids": ids})
    assert np.abs(got - expected).max() < 0.02 * np.abs(expected).max()


def test_cross_encoder_prefers_the_fact_check_of_the_same_claim() -> None:
    reranker = load_reranker()
    assert reranker is not None, "the package ships the fact-check re-ranker"
    tweet = "Just got a text saying I was selected for the military draft and must report. Is this real?? #WWIII"
    checked = ["Text messages say that the recipient has been selected for a military draft.",
               "The U.S. Army raised its maximum enlistment age to 42.",
               "A photograph shows soldiers boarding a plane to Iran."]
    logits = reranker.encoder.logits([(tweet, fact_check) for fact_check in checked])
    # 3.1 / -3.8 / -4.2 here (the cross-encoder of one epoch gave 0.36 / -0.41 / -0.55); the untrained head
    # separates such pairs by about 0.01.
    assert logits.argmax() == 0 and logits[0] > logits[1] + 1.0
    # Combined with the first scorer's probability: the same claim stays the most probable.
    probability = reranker.probability(tweet, checked, np.array([0.5, 0.5, 0.5]))
    assert probability.argmax() == 0 and np.all((0 <= probability) & (probability <= 1))
