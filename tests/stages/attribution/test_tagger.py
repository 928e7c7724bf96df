"""The attribution token taggers (ONNX, no torch at run time): the shipped MiniLM tagger on real sentences, and
the tagger over the shared pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sourcetrace.errors import ConfigurationError
from sourcetrace.stages.attribution.learned import MODEL_DIR
from sourcetrace.stages.attribution.tagger import (
    TAGGER_FILE,
    TAGGER_META,
    WINDOW,
    AttributionTagger,
    TopLayersTagger,
    load_tagger,
)

TAGGER = MODEL_DIR / TAGGER_FILE


@pytest.fixture(scope="module")
def tagger():
    if not TAGGER.exists():
        pytest.skip("tagger.onnx is not committed")
    return AttributionTagger(TAGGER, threads=1)


def test_tagger_marks_source_cue_and_content(tagger):
    from sourcetrace.pipeline.backbone import load_spacy

    doc = load_spacy()("The mayor told reporters that the bridge would reopen next week.")
    tagged = tagger.token_probabilities([doc])[0]
    assert tagged.shape == (len(doc), 3, 3)
    inside = tagged[:, :, 1] + tagged[:, :, 2]  # B + I, per role (source, cue, content)
    words = {token.text: token.i for token in doc}
    assert inside[words["mayor"], 0] > 0.5
    assert inside[words["told"], 1] > 0.5
    assert inside[words["bridge"], 2] > 0.5
    assert inside[words["mayor"], 2] < 0.5


def test_long_article_is_read_in_windows_that_cover_every_piece(tagger):
    from sourcetrace.pipeline.backbone import load_spacy

    sentence = "Officials said the talks would resume on Monday, according to a statement. "
    doc = load_spacy()(sentence * 40)  # about 700 word pieces: three windows
    tagged = tagger.token_probabilities([doc])[0]
    said = [token.i for token in doc if token.text == "said"]
    according = [token.i for token in doc if token.text == "according"]
    assert len(said) == len(according) == 40
    # every copy is read (a piece no window covers reads O): its "said" or its "according to" is a cue
    # (which of the two cues the repeated text's attribution gets varies with the tagger)
    cue_inside = tagged[:, 1, 1] + tagged[:, 1, 2]
    assert (cue_inside[said] > 0.5).mean() > 0.8
    assert ((cue_inside[said] > 0.5) | (cue_inside[according] > 0.5)).all()


def test_each_piece_is_encoded_about_once(tagger, monkeypatch: pytest.MonkeyPatch):
    text = "Officials said the talks would resume on Monday, according to a statement. " * 40
    pieces = len(tagger.tokenizer.encode(text, add_special_tokens=False).ids)
    lengths = []
    run = tagger.session.run

    def counted(outputs, feed):
        lengths.append(feed["input_ids"].shape[1] - 2)
        return run(outputs, feed)

    monkeypatch.setattr(tagger.session, "run", counted, raising=False)
    tagger.piece_probabilities([text])
    # windows side by side: the last one may reach back into its neighbour, no other piece is encoded twice
    assert len(lengths) == -(-pieces // WINDOW)
    assert sum(lengths) < pieces + WINDOW


# The tagger over the shared pass (`TopLayersTagger`), with a small graph of the same interface: word-piece vectors
# (1, n, 384) in, 9 logits per piece out, each piece's logits depending on every piece of its window (a mean).

def _top_graph(folder: Path, layer: int = 3) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    own = numpy_helper.from_array(rng.normal(size=(384, 9)).astype(np.float32) * 0.2, "own")
    pooled = numpy_helper.from_array(rng.normal(size=(384, 9)).astype(np.float32) * 0.2, "pooled")
    nodes = [helper.make_node("MatMul", ["pieces", "own"], ["per_piece"]),
             helper.make_node("ReduceMean", ["pieces"], ["mean"], axes=[1], keepdims=1),
             helper.make_node("MatMul", ["mean", "pooled"], ["per_window"]),
             helper.make_node("Add", ["per_piece", "per_window"], ["logits"])]
    graph = helper.make_graph(nodes, "tagger", [helper.make_tensor_value_info("pieces", TensorProto.FLOAT,
                                                                              [1, "n", 384])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "n", 9])],
                              initializer=[own, pooled])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = folder / TAGGER_FILE
    onnx.save(model, str(path))
    from sourcetrace._ml.weights import sha256_of
    from sourcetrace.stages.attribution.tagger import TAGGER_FORMAT

    (folder / TAGGER_META).write_text(json.dumps({"format": TAGGER_FORMAT, "file": TAGGER_FILE,
                                                  "sha256": sha256_of(path), "shared_layer": layer}))
    return path


@pytest.fixture(scope="module")
def top_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("top_tagger")
    for name in ("model.json", "model.npz"):
        shutil.copy(MODEL_DIR / name, folder / name)
    _top_graph(folder)
    return folder


def test_a_tagger_over_the_shared_pass_runs_no_encoder_of_its_own(top_folder: Path) -> None:
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import Pipeline

    tagger = load_tagger(top_folder / TAGGER_FILE)
    assert isinstance(tagger, TopLayersTagger) and tagger.shared_layers == (3,)
    assert [i.name for i in tagger.session.get_inputs()] == ["pieces"]  # vectors of the pass, not word-piece ids
    pipeline = Pipeline(["backbone", "attribution"], {"attribution": {"model_path": str(top_folder)}})
    assert pipeline.shared_layers == [3]
    analysis = pipeline.analyze_batch([make_article("The mayor said the bridge would reopen.", id="m")])[0]
    assert not analysis.meta.failed_stages
    assert any(t.stage == "shared_encoder" for t in analysis.meta.timing)


def test_document_probabilities_come_from_the_pass_kept_on_the_document(top_folder: Path) -> None:
    from sourcetrace._ml.shared_encoder import SCRATCH_KEY, SharedEncoding, load_shared_encoder
    from sourcetrace.analysis import Analysis, ArticleInfo, Meta
    from sourcetrace.pipeline.backbone import load_spacy
    from sourcetrace.pipeline.registry import Document

    tagger = load_tagger(top_folder / TAGGER_FILE)
    assert isinstance(tagger, TopLayersTagger)
    text = "Aides said the vote would wait."
    doc = load_spacy()(text)
    document = Document(Analysis(article=ArticleInfo(id="t", text=text, language="en"),
                                 meta=Meta(sourcetrace_version="t")), doc=doc)
    real = tagger.token_probabilities([doc])[0]
    # a pass whose vectors are all zero: what the tagger returns must follow it, not a pass of its own
    offsets = np.array([[t.idx, t.idx + len(t.text)] for t in doc], dtype=np.int32)
    zeros = np.zeros((len(doc), 384), dtype=np.float32)
    document.scratch[SCRATCH_KEY] = SharedEncoding(
        windows=np.array([[0, len(text)]], dtype=np.int32), sentence_of_window=np.zeros(1, dtype=np.int32),
        offsets=offsets, window_of_piece=np.zeros(len(doc), dtype=np.int32),
        pieces={layer: zeros for layer in {tagger.layer, *load_shared_encoder().layers}})
    faked = tagger.document_probabilities(document)
    assert faked.shape == real.shape == (len(doc), 3, 3)
    assert np.allclose(faked, tagger.window_probabilities(zeros))
    assert not np.allclose(faked, real)


def test_a_sentence_reads_the_same_whatever_is_around_it(top_folder: Path) -> None:
    from sourcetrace._ml.shared_encoder import load_shared_encoder

    tagger = load_tagger(top_folder / TAGGER_FILE)
    assert isinstance(tagger, TopLayersTagger)
    encoder = load_shared_encoder()
    encoder.require_layers(tagger.shared_layers)
    sentence = "The senator said on Tuesday that the bill would pass."
    alone = encoder.encode_spans(sentence, [(0, len(sentence))])
    before = "Markets fell sharply after the report, analysts wrote. "
    text = before + sentence + " Nobody else commented."
    start = len(before)
    spans = [(0, len(before) - 1), (start, start + len(sentence)), (start + len(sentence) + 1, len(text))]
    together = encoder.encode_spans(text, spans)
    inside = (together.offsets[:, 0] >= start) & (together.offsets[:, 1] <= start + len(sentence))
    assert inside.sum() == len(alone.offsets)
    assert np.array_equal(tagger.piece_probabilities(alone), tagger.piece_probabilities(together)[inside])
    # the whole text as one window would read otherwise: the graph mixes a window's pieces
    one_window = tagger.window_probabilities(together.pieces[tagger.layer])[inside]
    assert not np.allclose(one_window, tagger.piece_probabilities(alone))


def test_a_tagger_file_that_is_not_the_one_described_is_refused(top_folder: Path, tmp_path: Path) -> None:
    shutil.copy(top_folder / TAGGER_FILE, tmp_path / TAGGER_FILE)
    meta = json.loads((top_folder / TAGGER_META).read_text(encoding="utf-8"))
    meta["sha256"] = "0" * 64
    (tmp_path / TAGGER_META).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="SHA-256"):
        load_tagger(tmp_path / TAGGER_FILE)
