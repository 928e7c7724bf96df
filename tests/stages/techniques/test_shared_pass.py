"""The English model trained on the SemEval-2023 labels reads the shared MiniLM pass that the pipeline runs once per
article."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace._ml.shared_encoder import SHARED_PASS, load_shared_encoder, shared_encoding
from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.stages.techniques.encoder import SharedPassEncoder, shared_pieces

TEXT = ("These treacherous traitors want to destroy everything we love, and the cowardly elites cheer them on.\n"
        "The committee will meet again on Tuesday to discuss the budget.")


@pytest.fixture(scope="module")
def pipeline():
    return load_pipeline(["backbone", "techniques"], {"techniques": {"model_dir": "techniques_semeval23",
                                                                     "operating_point": "recall"}})


def test_the_model_names_the_shared_layers_it_reads(pipeline):
    tagger = pipeline.stages[-1]
    assert tagger.shared_layers == tuple(tagger.model.meta["shared_layers"])
    assert set(tagger.shared_layers) <= set(pipeline.shared_layers)  # the pipeline runs the pass with them
    assert set(tagger.shared_layers) <= load_shared_encoder().layers
    assert isinstance(tagger.model.encoder, SharedPassEncoder)
    width = tagger.model.weights[tagger.model.tagger_prefixes()[0] + "conv1.weight"].shape[1]
    assert width == 384 * len(tagger.shared_layers)  # the tagger reads those layers side by side


def test_an_analysis_reads_the_pipelines_pass_and_runs_no_encoder_of_its_own(pipeline, monkeypatch):
    tagger = pipeline.stages[-1]
    expected = pipeline.analyze(ArticleInfo(id="s", text=TEXT, language="en"))
    assert [t for t in expected.techniques if t.source == "model"], "no span in an obviously loaded sentence"
    assert any(timing.stage == SHARED_PASS for timing in expected.meta.timing)

    def refuse(*_: object) -> None:
        raise AssertionError("the techniques stage ran an encoder of its own")

    monkeypatch.setattr(tagger.model.encoder, "encode", refuse)
    monkeypatch.setattr(load_shared_encoder(), "encode_spans", _once(load_shared_encoder().encode_spans))
    analysis = pipeline.analyze(ArticleInfo(id="s", text=TEXT, language="en"))
    assert [(t.technique, t.span.start, t.span.end, t.score) for t in analysis.techniques] == [
        (t.technique, t.span.start, t.span.end, t.score) for t in expected.techniques]


def _once(function):
    """`function`, failing when called a second time: one pass per article."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        assert len(calls) == 1, "the article was encoded twice"
        return function(*args, **kwargs)

    return wrapped


def test_the_models_own_encoder_gives_the_pass_vectors(pipeline):
    """Outside an analysis (no Document) the model runs the same pass itself: the same vectors, each piece in its
    sentence."""
    from sourcetrace.pipeline.registry import Document

    tagger = pipeline.stages[-1]
    analysis = pipeline.analyze(ArticleInfo(id="v", text=TEXT, language="en"))
    sentences = [(s.start, s.end) for s in analysis.sentences]
    own = tagger.model.encoder.encode(TEXT, sentences)
    document = Document(analysis.model_copy(deep=True))
    document.analysis.techniques = []
    read = shared_pieces(shared_encoding(document), tagger.shared_layers)
    assert (own.offsets == read.offsets).all() and (own.sentence == read.sentence).all()
    assert np.allclose(own.vectors, read.vectors, atol=1e-5)
    second = TEXT.index("The committee")
    assert set(own.sentence[own.offsets[:, 0] >= second]) == {len(sentences) - 1}
