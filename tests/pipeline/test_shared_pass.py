"""The pipeline runs the shared MiniLM pass once, after the parse, when a stage's head reads it; torch stays out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import numpy as np

from sourcetrace._ml.shared_encoder import SCRATCH_KEY, SHARED_PASS, shared_encoding
from sourcetrace.api import make_article
from sourcetrace.pipeline.registry import Document, register_stage
from sourcetrace.pipeline.run import Pipeline


class _LayerReader:
    """A head that reads layer 2 of the pass and records what it found."""

    name = "layer_reader"
    shared_layers = (2,)

    def __init__(self, options: object = None) -> None:
        self.seen: list[tuple[int, int]] = []

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            encoding = shared_encoding(document)
            self.seen.append((id(encoding), encoding.pieces[2].shape[0]))

    def models(self) -> dict[str, str]:
        return {}


def test_a_stage_that_reads_the_pass_gets_it_after_the_parse_once() -> None:
    register_stage("layer_reader", requires=("backbone",))(_LayerReader)
    pipeline = Pipeline(("backbone", "layer_reader"))
    assert pipeline.shared_layers == [2]
    text = "The minister said prices rose 4 percent. Nobody believed her."
    analysis = pipeline.analyze(make_article(text, id="a"))
    stages = [timing.stage for timing in analysis.meta.timing]
    assert stages == ["backbone", SHARED_PASS, "layer_reader"]
    reader = pipeline.stages[1]
    assert len(reader.seen) == 1 and reader.seen[0][1] > 8


def test_without_such_a_stage_no_pass_runs() -> None:
    pipeline = Pipeline(("backbone",))
    document_texts = "The minister said prices rose 4 percent."
    analysis = pipeline.analyze(make_article(document_texts, id="b"))
    assert [timing.stage for timing in analysis.meta.timing] == ["backbone"]
    assert pipeline.shared_layers == []


def test_an_article_the_pass_fails_on_keeps_its_other_layers(monkeypatch) -> None:  # noqa: ANN001 - pytest's
    import sourcetrace._ml.shared_encoder as shared

    register_stage("layer_reader", requires=("backbone",))(_LayerReader)
    pipeline = Pipeline(("backbone", "layer_reader"))
    real = shared.SharedEncoder.encode_spans

    def breaks_on_boom(self, text: str, spans):  # noqa: ANN001, ANN202
        if "boom" in text:
            raise RuntimeError("boom")
        return real(self, text, spans)

    monkeypatch.setattr(shared.SharedEncoder, "encode_spans", breaks_on_boom)
    good, bad = pipeline.analyze_batch([make_article("Prices rose 4 percent.", id="good"),
                                        make_article("It went boom on Monday.", id="bad")])
    assert not good.meta.failed_stages
    assert [problem.stage for problem in bad.meta.failed_stages] == ["layer_reader"]
    assert bad.sentences  # the parse is kept


def test_the_scratch_holds_the_pass() -> None:
    from sourcetrace.analysis import Analysis, Meta

    document = Document(Analysis(article=make_article("Prices rose.", id="c"), meta=Meta(sourcetrace_version="t",
                                                                                         models={})))
    Pipeline(("backbone",)).stages[0].process([document])
    encoding = shared_encoding(document)
    assert document.scratch[SCRATCH_KEY] is encoding and np.isfinite(encoding.pooled).all()


def test_loading_the_stages_does_not_import_torch() -> None:
    code = ("import sys; from sourcetrace.pipeline.run import Pipeline; Pipeline(('backbone',)); "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
