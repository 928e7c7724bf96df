"""Windows and span inputs of the technique heads fine-tuned over the shared pass (training experiments)."""

from __future__ import annotations

import numpy as np

from training.techniques.classifier_top import MAX_PIECES, span_example
from training.techniques.tagger_top import windows_of


def test_windows_pack_whole_sentences_in_order_and_cut_only_a_sentence_longer_than_a_window():
    sentence = np.repeat(np.arange(5), [3, 4, 2, 9, 1])  # sentences of 3, 4, 2, 9 and 1 pieces
    windows = windows_of(sentence, limit=8)
    assert windows[0] == (0, 7)  # 3 + 4 fit, the third sentence would make 9
    assert windows[1] == (7, 9)  # the 2-piece sentence alone: the 9-piece one does not fit beside it
    assert windows[2:] == [(9, 17), (17, 19)]  # the 9-piece sentence cut at 8; its tail packs with the next
    covered = np.concatenate([np.arange(a, b) for a, b in windows])
    assert (covered == np.arange(len(sentence))).all()  # every piece exactly once, in order


def test_a_span_is_read_with_the_sentences_it_touches_and_marks_its_own_pieces():
    offsets = np.array([[0, 3], [4, 8], [9, 12], [14, 17], [18, 22], [24, 28]])
    stored = {"offsets": offsets, "sentence": np.array([0, 0, 0, 1, 1, 2]),
              "l3": np.arange(6 * 4, dtype=np.float16).reshape(6, 4)}
    pieces, own = span_example(stored, 3, 9, 17)  # the last piece of sentence 0, the first of sentence 1
    assert pieces.shape == (5, 4)  # sentences 0 and 1, not 2
    assert own.tolist() == [0, 0, 1, 1, 0]
    long = {"offsets": np.array([[k, k + 1] for k in range(400)]), "sentence": np.zeros(400, dtype=int),
            "l3": np.zeros((400, 4), dtype=np.float16)}
    pieces, own = span_example(long, 3, 300, 302)
    assert len(pieces) == MAX_PIECES and own.sum() == 2  # a long sentence is cut around the span
