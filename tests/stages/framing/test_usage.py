"""Russian and Ukrainian usage choices: each a marker with its evidence span, whose usage it is, and why."""

from pathlib import Path

import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import load_pipeline
from sourcetrace.stages.framing.stage import LEXICON_DIR
from sourcetrace.stages.framing.usage import read_usage, usage_markers


@pytest.fixture(scope="module")
def entries():
    return read_usage(LEXICON_DIR)


def found(entries, text, language):
    return [(marker, text[start:end], details["signals"]) for marker, start, end, _, details
            in usage_markers(entries, text, language)]


def test_russian_usage_choices(entries):
    text = ("ВСУ обстреляли Донецк. На Украине продолжается СВО, а киевский режим не хочет мира. В Украине "
            "война. Украинские военные отошли от Артемовска. Оркестр играл, всухую.")
    assert found(entries, text, "ru") == [
        ("army_naming", "ВСУ", "Russian media usage"),
        ("usage_preposition", "На Украине", "Russian official usage"),
        ("war_naming", "СВО", "Russian official usage"),
        ("loaded_label", "киевский режим", "Russian official and pro-Kremlin usage"),
        ("usage_preposition", "В Украине", "Ukrainian and independent usage"),
        ("army_naming", "Украинские военные", "descriptive usage"),
        ("renamed_place", "Артемовска", "Russian official usage")]


def test_ukrainian_usage_choices_and_spellings(entries):
    text = "Орки обстріляли Харків, а в Харькове тихо. ЗСУ відбили атаку. Повномасштабне вторгнення триває."
    assert found(entries, text, "uk") == [
        ("loaded_label", "Орки", "Ukrainian wartime usage"),
        ("place_spelling", "Харькове", "Russian spelling"),
        ("army_naming", "ЗСУ", "Ukrainian usage"),
        ("war_naming", "Повномасштабне вторгнення", "naming the war as a war")]
    # a Ukrainian spelling in a Russian text is a choice too
    assert found(entries, "Удар по Миколаєву и Николаеву.", "ru") == [
        ("place_spelling", "Миколаєву", "Ukrainian spelling")]


def test_english_texts_get_no_usage_markers(entries):
    assert found(entries, "The SVO and VSU, on Ukraine.", "en") == []


def test_a_lexicon_folder_without_the_usage_file_has_none(tmp_path: Path):
    assert read_usage(tmp_path) == []


def test_markers_in_the_framing_layer_carry_span_explanation_and_signals():
    pipeline = load_pipeline(["backbone", "framing"])
    text = "На Украине продолжается СВО, заявили в Минобороны."
    analysis = pipeline.analyze(ArticleInfo(id="ru", text=text, language="ru"))
    usage = [m for m in analysis.framing if m.marker in ("usage_preposition", "war_naming")]
    assert [(m.marker, m.span.text) for m in usage] == [("usage_preposition", "На Украине"), ("war_naming", "СВО")]
    assert all(m.explanation and m.details["signals"] == "Russian official usage" for m in usage)
