"""The uk/ru technique model (UNLP-2025): our own Ukrainian and Russian sentences, not the dataset's."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.evaluate.techniques_unlp import char_prf, technique_f1
from sourcetrace.stages.techniques.stage import FAMILY_OF
from sourcetrace.stages.techniques.unlp import UNLP_TECHNIQUES, UNLP_TO_2023, UnlpTechniqueModel, chunks

LOADED_UK = ("Кривавий кремлівський режим знову кидає на забій тисячі своїх рабів, а ці нелюди ще й хизуються "
             "своїми звірствами! Орки тікають, наші герої розгромили ворога вщент. Перемога буде за нами!")
LOADED_RU = ("Киевская хунта продолжает гнать на убой тысячи несчастных мужиков, которых отлавливают прямо на "
             "улицах, как скот. Всей правды вы никогда не узнаете, а западные кукловоды давно списали Украину.")
PLAIN_UK = ("У понеділок у Львові відбулося засідання міської ради. Депутати затвердили бюджет на наступний рік "
            "і обговорили ремонт доріг у трьох районах міста.")
PLAIN_RU = ("В среду в Минске прошла выставка сельскохозяйственной техники. Организаторы сообщили, что её "
            "посетили около двух тысяч человек.")


@pytest.fixture(scope="module")
def model() -> UnlpTechniqueModel:
    return UnlpTechniqueModel()


def test_every_unlp_technique_has_a_stage_name_and_threshold(model):
    assert model.meta["techniques"] == list(UNLP_TECHNIQUES)
    assert len(model.thresholds) == len(UNLP_TECHNIQUES)
    assert set(UNLP_TO_2023) == set(UNLP_TECHNIQUES)
    unmapped = {name for name in UNLP_TO_2023.values() if name not in FAMILY_OF}
    assert unmapped == {"Euphoria", "Cherry_Picking"}


@pytest.mark.parametrize("text", [LOADED_UK, LOADED_RU])
def test_loaded_posts_get_loaded_language_and_trigger_spans(model, text):
    prediction = model.predict_text(text)
    assert "loaded_language" in prediction.techniques
    assert prediction.manipulative > 0.5
    assert prediction.spans, "no trigger span in an obviously loaded post"
    for start, end, p in prediction.spans:
        assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]
        assert 0.0 < p <= 1.0


@pytest.mark.parametrize(("loaded", "plain"), [(LOADED_UK, PLAIN_UK), (LOADED_RU, PLAIN_RU)])
def test_plain_news_is_less_manipulative_than_loaded_text(model, loaded, plain):
    loaded_p, plain_p = model.text_probabilities([loaded, plain])[:, -1]
    assert plain_p < loaded_p - 0.2
    assert "loaded_language" not in model.predict_text(plain).techniques


def test_long_text_is_cut_into_post_sized_chunks_with_whole_text_offsets(model):
    text = " ".join([PLAIN_UK, LOADED_UK] * 4)
    sentences, start = [], 0
    for piece in text.split(". "):
        sentences.append((start, start + len(piece) + 1))
        start += len(piece) + 2
    pieces = chunks(text, sentences, 400)
    assert len(pieces) > 1 and all(e - s <= 400 or (s, e) in sentences for s, e in pieces)
    found = model.predict(text, sentences)
    assert found
    for technique, label, start, end, score in found:
        assert UNLP_TO_2023[label] == technique
        assert text[start:end].strip() == text[start:end] and end - start >= 2
        assert 0.0 < score <= 1.0
    # the spans come from the loaded sentences, not from the council-meeting ones
    assert all(text[s:e] not in PLAIN_UK for _, _, s, e, _ in found)


def test_character_span_scores_and_technique_f1_by_hand():
    texts = ["abcdefghij"]
    assert char_prf(texts, [[(0, 4)]], [[(2, 6)]]) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert char_prf(texts, [[]], [[(2, 6)]])["f1"] == 0.0
    gold = np.array([[1, 0], [1, 1]], dtype=np.int8)
    predicted = np.array([[1, 1], [0, 1]], dtype=np.int8)
    scores = technique_f1(predicted, gold)
    assert scores["per_technique"][UNLP_TECHNIQUES[0]] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["micro_f1"] == pytest.approx(4 / 6, abs=1e-4)
