"""The shared MiniLM pass (integer products, one window per call) and the float encoder the embedder runs on:
word-piece vectors of any layer, sentence vectors equal to the embedder's, the pass kept on the Document."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace._ml.embedder import SentenceEmbedder, load_embedder
from sourcetrace._ml.shared_encoder import (
    LAYERS,
    SCRATCH_KEY,
    WINDOW_PIECES,
    SharedEncoder,
    layer_output,
    load_shared_encoder,
    shared_encoding,
    with_layer_outputs,
)
from sourcetrace.analysis import Analysis, Meta
from sourcetrace.api import make_article
from sourcetrace.pipeline.registry import Document

TEXT = ("Officials said on Monday that the bridge had been closed since August. "
        "Unemployment rose to 12 percent in 2019, the ministry reported. Nobody was hurt.")


def sentences_of(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for end in [i + 1 for i, c in enumerate(text) if c == "."]:
        while text[start] == " ":
            start += 1
        spans.append((start, end))
        start = end
    return spans


@pytest.fixture(scope="module")
def encoder() -> SharedEncoder:
    found = SharedEncoder()
    found.require_layers([3, LAYERS])
    return found


def test_pooled_sentence_vectors_are_the_embedders_exactly(encoder: SharedEncoder) -> None:
    spans = sentences_of(TEXT)
    encoding = encoder.encode_spans(TEXT, spans)
    expected = SentenceEmbedder().encode([TEXT[s:e] for s, e in spans])
    assert encoding.pooled.shape == (3, 384)
    assert np.array_equal(encoding.pooled, expected)


def test_word_pieces_carry_offsets_and_the_layers_asked_for(encoder: SharedEncoder) -> None:
    spans = sentences_of(TEXT)
    encoding = encoder.encode_spans(TEXT, spans)
    assert set(encoding.pieces) == {3, LAYERS}
    assert encoding.pieces[3].shape == encoding.pieces[LAYERS].shape == (len(encoding.offsets), 384)
    assert not np.allclose(encoding.pieces[3], encoding.pieces[LAYERS])
    words = [TEXT[a:b].lower() for a, b in encoding.offsets]
    assert "bridge" in words and "unemployment" in words
    assert list(np.unique(encoding.window_of_piece)) == [0, 1, 2]


def test_a_sentence_reads_the_same_alone_and_among_others(encoder: SharedEncoder) -> None:
    spans = sentences_of(TEXT)
    together = encoder.encode_spans(TEXT, spans)
    start, end = spans[1]
    alone = encoder.encode_spans(TEXT, [(start, end)])
    inside = together.window_of_piece == 1
    assert np.array_equal(together.pieces[3][inside], alone.pieces[3])
    assert np.array_equal(together.pooled[1], alone.pooled[0])


def test_a_pass_asked_for_an_early_layer_alone_stops_there() -> None:
    spans = sentences_of(TEXT)
    cut = SharedEncoder()
    cut.require_layers([3])
    full = SharedEncoder()
    full.require_layers([3, LAYERS])
    early, whole = cut.encode_spans(TEXT, spans), full.encode_spans(TEXT, spans)
    assert set(early.pieces) == {3} and early.pooled.shape == (0, 384)  # no last layer, no sentence vectors
    assert np.array_equal(early.pieces[3], whole.pieces[3])
    assert [output.name for output in cut.session.get_outputs()] == [layer_output(3)]
    assert len(whole.pooled) == len(spans)


def test_loading_the_embedder_asks_for_the_last_layer_of_its_own_float_encoder() -> None:
    encoder = SharedEncoder()
    encoder.require_layers([3])
    SentenceEmbedder(encoder=encoder)
    assert encoder.layers == {3, LAYERS}
    asked = set(load_shared_encoder().layers)
    embedder = load_embedder()
    assert embedder.encoder is not load_shared_encoder() and not embedder.encoder.quantized_activations
    assert load_shared_encoder().layers == asked  # the pass runs no deeper for the embedder


def test_the_pass_multiplies_in_integers_close_to_the_float_products() -> None:
    from sourcetrace._ml.onnx_graph import onnx_messages

    spans = sentences_of(TEXT)
    pass_encoder = SharedEncoder(quantized_activations=True)
    pass_encoder.require_layers([3])
    float_encoder = SharedEncoder()
    float_encoder.require_layers([3])
    quantized, exact = pass_encoder.encode_spans(TEXT, spans), float_encoder.encode_spans(TEXT, spans)
    a, b = quantized.pieces[3], exact.pieces[3]
    cosine = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() > 0.98 and not np.allclose(a, b, atol=1e-3)
    graph = onnx_messages().ModelProto()
    from sourcetrace._ml.onnx_graph import with_quantized_activations

    graph.ParseFromString(with_layer_outputs(with_quantized_activations(pass_encoder.model_path), [3]))
    kinds = [node.op_type for node in graph.graph.node]
    assert kinds.count("MatMulInteger") == 3 * 6  # q, k, v, attention output, two feed-forward: per layer
    assert kinds.count("MatMul") == 3 * 2  # the attention's own products stay float


def test_the_pass_reads_a_sentence_the_same_alone_and_among_others() -> None:
    spans = sentences_of(TEXT)
    encoder = load_shared_encoder()
    encoder.require_layers([3])
    together = encoder.encode_spans(TEXT, spans)
    alone = encoder.encode_spans(TEXT, [spans[2]])
    assert np.array_equal(together.pieces[3][together.window_of_piece == 2], alone.pieces[3])
    assert encoder.batch_size == 1  # one activation scale per call: never two windows in one


def test_an_intermediate_layer_is_the_output_of_the_model_cut_there() -> None:
    import onnx
    from onnx.utils import Extractor

    from sourcetrace._ml.onnx import onnx_session
    from sourcetrace._ml.weights import minilm_int8_path

    model = onnx.load(str(minilm_int8_path()))
    cut = Extractor(model).extract_model([i.name for i in model.graph.input], [layer_output(2)])
    session = onnx_session(cut.SerializeToString())
    encoder = SharedEncoder()
    encoder.require_layers([2])
    ids = np.array([[encoder.cls_id, *encoder.tokenizer.encode(TEXT, add_special_tokens=False).ids,
                     encoder.sep_id]], dtype=np.int64)
    (expected,) = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                     "token_type_ids": np.zeros_like(ids)})
    assert np.allclose(encoder.run(ids, [2])[2], expected, atol=1e-5)


def test_a_long_sentence_is_cut_into_windows(encoder: SharedEncoder) -> None:
    text = " ".join(["word"] * (WINDOW_PIECES + 40)) + "."
    encoding = encoder.encode_spans(text, [(0, len(text))])
    assert len(encoding.windows) == 2 and list(encoding.sentence_of_window) == [0, 0]
    assert len(encoding.offsets) == WINDOW_PIECES + 41
    # the embedder truncates a text to its first window, so that window's vector is the text's
    assert np.array_equal(encoding.pooled[0], SentenceEmbedder().encode([text])[0])


def test_unknown_layers_are_refused(encoder: SharedEncoder) -> None:
    with pytest.raises(ValueError, match="layers 1 to 6"):
        encoder.require_layers([7])


def test_the_pass_is_kept_on_the_document() -> None:
    from sourcetrace.pipeline.run import Pipeline

    document = Document(Analysis(article=make_article(TEXT, id="shared"), meta=Meta(sourcetrace_version="t",
                                                                                     models={})))
    Pipeline(("backbone",)).stages[0].process([document])
    load_shared_encoder().require_layers([3])
    encoding = shared_encoding(document)
    assert document.scratch[SCRATCH_KEY] is encoding
    assert shared_encoding(document) is encoding
    start, end = document.analysis.sentences[1].start, document.analysis.sentences[1].end
    inside = (encoding.offsets[:, 0] >= start) & (encoding.offsets[:, 1] <= end)
    mean = encoding.pieces[3][inside].mean(axis=0)
    assert np.allclose(encoding.span_vector(start, end, layer=3), mean / np.linalg.norm(mean), atol=1e-6)


def test_pooled_vectors_of_several_layers_side_by_side(encoder: SharedEncoder) -> None:
    texts = ["Unemployment rose to 12 percent in 2019.", "Nobody was hurt."]
    both = encoder.pooled(texts, [3, LAYERS])
    assert both.shape == (2, 2 * 384)
    assert np.array_equal(both[:, 384:], SentenceEmbedder().encode(texts))
    assert np.allclose(np.linalg.norm(both[:, :384], axis=1), 1.0, atol=1e-5)
