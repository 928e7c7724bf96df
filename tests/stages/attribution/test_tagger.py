"""The attribution token tagger (int8 ONNX, no torch at run time) on real sentences."""

from __future__ import annotations

import pytest

from sourcetrace.stages.attribution.learned import MODEL_DIR
from sourcetrace.stages.attribution.tagger import TAGGER_FILE, WINDOW, AttributionTagger

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
