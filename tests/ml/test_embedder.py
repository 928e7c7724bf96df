"""The torch-free MiniLM embedder: unit vectors whose similarities reflect meaning."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace._ml.embedder import DIMENSIONS, load_embedder


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


def test_vectors_are_unit_length_and_in_input_order(embedder) -> None:
    texts = [
        "Ukrainian forces fired Tochka-U tactical missiles at the city.",
        "The weather in Lisbon was sunny all week.",
        "A Tochka-U missile was launched by the Ukrainian army.",
    ]
    vectors = embedder.encode(texts, batch_size=2)
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 2] > 0.6
    assert similarity[0, 1] < 0.2
    # Batching and reordering by length must not change a text's vector.
    assert np.allclose(embedder.encode([texts[2]])[0], vectors[2], atol=1e-5)


def test_empty_input(embedder) -> None:
    assert embedder.encode([]).shape == (0, DIMENSIONS)
