"""The check-worthiness head over the shared MiniLM pass: what it reads, what it ships, what a score depends on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from sourcetrace._ml.shared_encoder import shared_encoding
from sourcetrace.analysis import Analysis, ArticleInfo, Meta, Span
from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.backbone import load_spacy
from sourcetrace.pipeline.registry import Document
from sourcetrace.stages.claims.checkworthiness import (
    SHARED_MODEL_DIR,
    CheckworthinessModel,
    TopLayersScorer,
    claim_pieces,
    load_checkworthiness_model,
    text_pieces,
)
from sourcetrace.stages.claims.stage import ClaimExtractor

ARTICLE = ("Unemployment rose to 12 percent in 2019, the ministry reported on Tuesday. "
           "The mayor said that the new bridge cost $40 million more than planned. "
           "Thank you all for coming tonight.")


def document_of(text: str) -> Document:
    doc = load_spacy()(text)
    analysis = Analysis(article=ArticleInfo(id="h", text=text), meta=Meta(sourcetrace_version="test"))
    analysis.sentences = [Span.of(text, s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
    return Document(analysis, doc)


def test_the_head_is_the_upper_layers_over_shared_vectors_not_a_whole_encoder() -> None:
    model = load_checkworthiness_model(SHARED_MODEL_DIR)
    assert isinstance(model.minilm, TopLayersScorer) and model.shared_layer is not None
    inputs = [i.name for i in model.minilm.session.get_inputs()]
    assert inputs == ["pieces"], "the head reads word-piece vectors, not word-piece ids"
    graph = onnx.load(str(SHARED_MODEL_DIR / model.config["minilm"]["file"])).graph
    assert not any(node.op_type == "Gather" and "embeddings" in node.name for node in graph.node)
    # each transformer layer ends in two layer norms (attention, feed-forward): layers above the shared one only
    norms = sum(node.op_type == "LayerNormalization" for node in graph.node)
    assert norms == 2 * (6 - model.shared_layer)
    extractor = ClaimExtractor({"checkworthiness_model_dir": "checkworthiness_shared"})
    assert extractor.shared_layers == (model.shared_layer,)


def test_claims_of_an_article_are_scored_from_the_shared_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    document = document_of(ARTICLE)
    model = load_checkworthiness_model(SHARED_MODEL_DIR)
    # the claims stage must not encode claim texts again: the article's pass has their vectors
    monkeypatch.setattr("sourcetrace.stages.claims.checkworthiness.text_pieces",
                        lambda *args, **kwargs: pytest.fail("a claim was encoded again"))
    ClaimExtractor({"checkworthiness_model_dir": "checkworthiness_shared"}).process([document])
    claims = document.analysis.claims
    assert claims and all(claim.checkworthiness is not None for claim in claims)
    statistic = next(c for c in claims if "12 percent" in c.span.text)
    greeting = next(c for c in claims if "Thank you" in c.span.text)
    assert statistic.checkworthiness > model.threshold > greeting.checkworthiness
    assert model.shared_layer in shared_encoding(document).pieces


def test_a_whole_sentence_reads_the_vectors_it_was_trained_on() -> None:
    # a sentence of an article is encoded alone by the shared pass, as each training sentence was
    document = document_of(ARTICLE)
    layer = load_checkworthiness_model(SHARED_MODEL_DIR).shared_layer
    sentence = document.analysis.sentences[0]
    in_article = claim_pieces(shared_encoding(document), [(sentence.start, sentence.end)], layer)
    (alone,) = text_pieces([sentence.text], layer)
    assert in_article.shape == alone.shape and np.allclose(in_article, alone, atol=1e-5)


def test_a_claims_score_does_not_depend_on_the_other_claims_or_articles() -> None:
    model = load_checkworthiness_model(SHARED_MODEL_DIR)
    claim = "The deficit rose to $1.4 trillion in 2009."
    same_length = "The rate fell to $2.1 billion in 2011."  # batched with the claim by the shared pass
    alone = model.score([claim])[0]
    batched = model.score(["Thanks.", same_length, claim, "We will talk about the economy later on tonight."])[2]
    assert alone == pytest.approx(batched, abs=1e-6)
    other = "Crime fell by 14 percent last year. " + ARTICLE
    first, second = document_of(ARTICLE), document_of(other)
    extractor = ClaimExtractor({"checkworthiness_model_dir": "checkworthiness_shared"})
    extractor.process([first])
    extractor.process([second])
    together_first, together_second = document_of(ARTICLE), document_of(other)
    extractor.process([together_first, together_second])
    scores = [c.checkworthiness for c in first.analysis.claims] + [c.checkworthiness for c in second.analysis.claims]
    together = [c.checkworthiness for d in (together_first, together_second) for c in d.analysis.claims]
    assert scores == together


def test_the_head_file_is_checked_against_its_sha256(tmp_path: Path) -> None:
    for name in ("config.json", "ngrams.json", "ngrams.npz"):
        shutil.copy(SHARED_MODEL_DIR / name, tmp_path / name)
    config = json.loads((SHARED_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    head = config["minilm"]["file"]
    (tmp_path / head).write_bytes((SHARED_MODEL_DIR / head).read_bytes() + b"\0")
    with pytest.raises(ConfigurationError, match="SHA-256"):
        CheckworthinessModel(tmp_path)
    (tmp_path / head).unlink()
    with pytest.raises(ConfigurationError, match="missing"):
        CheckworthinessModel(tmp_path)
    shutil.copy(SHARED_MODEL_DIR / head, tmp_path / head)
    assert CheckworthinessModel(tmp_path).minilm is not None


def test_the_default_model_is_the_whole_fine_tuned_minilm_and_runs_no_shared_pass() -> None:
    extractor = ClaimExtractor({})
    assert extractor.model.shared_layer is None and extractor.shared_layers == ()


def test_a_folder_without_a_model_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="checkworthiness_model_dir .* holds no model"):
        ClaimExtractor({"checkworthiness_model_dir": str(tmp_path)})


def test_the_head_runs_without_torch() -> None:
    import subprocess
    import sys

    code = ("import json, sys; "
            "from sourcetrace.stages.claims.checkworthiness import SHARED_MODEL_DIR, TopLayersScorer; "
            "settings = json.loads((SHARED_MODEL_DIR / 'config.json').read_text())['minilm']; "
            "head = TopLayersScorer(SHARED_MODEL_DIR / settings['file'], settings['shared_layer']); "
            "assert 0 <= head.score(['Unemployment fell to 3.5 percent.'])[0] <= 1; "
            "print(sys.modules.get('torch') is not None)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
