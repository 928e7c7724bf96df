"""The SemEval-2023 Russian techniques model: tokens alone, wired for language "ru"."""

from __future__ import annotations

import numpy as np
import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.stages.techniques.russian import RussianTechniqueModel, score_inputs, sentence_around
from sourcetrace.stages.techniques.stage import FAMILY_OF

LOADED = ("Киевский режим и его западные кукловоды в очередной раз показали свое истинное лицо. Неонацисты "
          "обстреляли мирный Донецк, убивая ни в чем не повинных людей, а так называемые свободные СМИ молчат.\n"
          "Заседание комиссии пройдет во вторник в десять часов утра.")


def test_russian_articles_get_spans_of_the_russian_model_with_calibrated_scores():
    pipeline = load_pipeline(["backbone", "techniques"], {"techniques": {"operating_point": "recall"}})
    analysis = pipeline.analyze(ArticleInfo(id="ru", text=LOADED, language="ru"))
    assert analysis.meta.models["techniques_ru"] == RussianTechniqueModel().version
    assert analysis.techniques, "no technique span in a loaded Russian paragraph"
    meeting = LOADED.index("Заседание")
    for t in analysis.techniques:
        assert t.source == "model" and t.original_label is None and 0.0 <= t.score <= 1.0
        assert t.family == FAMILY_OF[t.technique]
        assert t.span.text == LOADED[t.span.start:t.span.end]
    assert min(t.span.start for t in analysis.techniques) < meeting  # the loaded paragraph, not only the notice
    # the default (precision) point shows a subset of the triage point's spans
    shown = load_pipeline(["backbone", "techniques"]).analyze(ArticleInfo(id="ru", text=LOADED, language="ru"))
    assert {(t.span.start, t.span.end) for t in shown.techniques} <= {
        (t.span.start, t.span.end) for t in analysis.techniques}


def test_rare_russian_techniques_are_not_among_the_classes():
    model = RussianTechniqueModel()
    assert set(model.meta["not_emitted"]).isdisjoint(model.classes)
    assert "Loaded_Language" in model.classes and all(name in FAMILY_OF for name in model.classes)
    assert model.meta["recall_min_score"] <= model.meta["min_score"]


def test_score_inputs_and_sentence_context():
    row = score_inputs(0.6, 0.9, np.array([0.7, 0.2, 0.1]), 20)
    assert row[3] == pytest.approx(0.5) and row[4] == pytest.approx(np.log(20))
    text = "Первая строка.\nВторая строка, где фраза.\nТретья."
    start = text.index("фраза")
    assert sentence_around(text, start, start + 5) == "Вторая строка, где фраза."
