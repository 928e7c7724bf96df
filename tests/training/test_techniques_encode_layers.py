"""The techniques training reads the vectors an analysis reads: the backbone's sentences, each encoded alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline
from training.techniques.encode_layers import LAYERS, encode_articles


def test_cached_training_vectors_are_the_shared_pass_of_the_pipeline(tmp_path: Path):
    from sourcetrace._ml.shared_encoder import shared_encoding
    from sourcetrace.pipeline.registry import Document
    from sourcetrace.stages.techniques.encoder import shared_pieces
    from training.techniques.train import encode_all

    text = ("Officials said the vote would go ahead. Critics called it \"a farce\".\n"
            "Turnout was 41 percent, the commission said.")
    encode_articles({"a1": text}, tmp_path / "shared")
    cached = np.load(tmp_path / "shared" / "a1.npz")
    pipeline = load_pipeline(["backbone"])
    analysis = pipeline.analyze(ArticleInfo(id="a1", text=text, language="en"))
    assert len(analysis.sentences) == 3  # the parse's sentences, not the article's two lines
    expected = shared_pieces(shared_encoding(Document(analysis)), LAYERS)
    assert (cached["offsets"] == expected.offsets).all() and (cached["sentence"] == expected.sentence).all()
    width = 384
    for position, layer in enumerate(LAYERS):
        assert np.allclose(cached[f"l{layer}"], expected.vectors[:, position * width:(position + 1) * width],
                           atol=1e-2)  # stored as float16
    both = encode_all({"a1": text}, tmp_path, layers=3, shared_layers=(3, 6))["a1"]
    assert both.vectors.shape == (len(expected.offsets), 2 * width)
    only_six = encode_all({"a1": text}, tmp_path, layers=3, shared_layers=(6,))["a1"]
    assert np.array_equal(only_six.vectors, both.vectors[:, width:])
