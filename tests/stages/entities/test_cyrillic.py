"""Names across scripts: Харьков, Харків, Kharkiv and Kharkov are one gazetteer entry, in every case; with
pymorphy3's Ukrainian dictionary (the dev extra) and without it (`SOURCETRACE_UK_DICTIONARY=off`: the word lists'
regular declension)."""

import pytest

from sourcetrace.api import make_article
from sourcetrace.pipeline.languages import ukrainian
from sourcetrace.pipeline.languages.cyrillic import load_cyrillic
from sourcetrace.pipeline.run import Pipeline
from sourcetrace.stages.entities.cyrillic import inflections, read_names
from sourcetrace.stages.entities.stage import load_gazetteer

_PIPELINES: dict[str, Pipeline] = {}


@pytest.fixture(params=["dictionary", "word lists"])
def pipeline(request, monkeypatch):
    """The entities pipeline with the Ukrainian dictionary and without it (each built once: the stage keeps its
    name matchers)."""
    if request.param == "word lists":
        monkeypatch.setenv(ukrainian.DICTIONARY_SETTING, "off")
    else:
        monkeypatch.delenv(ukrainian.DICTIONARY_SETTING, raising=False)
        assert ukrainian.dictionary_enabled(), "the dev extra installs pymorphy3-dicts-uk"
    if request.param not in _PIPELINES:
        _PIPELINES[request.param] = Pipeline(("backbone", "entities"))
    return _PIPELINES[request.param]


def linked(pipeline, text, language):
    analysis = pipeline.analyze(make_article(text, id=language, language=language))
    return [(e.span.text, e.canonical, e.variant.origin if e.variant else None) for e in analysis.entities
            if e.canonical]


def test_every_listed_name_is_a_gazetteer_entry():
    names = {e.name for e in load_gazetteer().entries.values()}
    assert set(read_names()) <= names


def test_inflected_forms_of_places_and_people(pipeline):
    russian = load_cyrillic("ru").morph_analyzer
    ukrainian = load_cyrillic("uk").morph_analyzer
    assert {"Харькова", "Харькове", "Харькову"} <= inflections("Харьков", russian)
    assert {"Миколаєва", "Миколаєві"} <= inflections("Миколаїв", ukrainian)
    assert "Володимира Зеленського" in inflections("Володимир Зеленський", ukrainian, person=True)
    assert inflections("Минобороны России", russian) == {"Минобороны России"}  # the genitive stays


def test_russian_text_links_russian_names_and_marks_ukrainian_spellings(pipeline):
    text = ("Удар по Харькову нанесли ВСУ. В Миколаєві тихо. Владимир Путин и Дмитрий Песков встретились в "
            "Москве. Минобороны России сообщило.")
    assert linked(pipeline, text, "ru") == [
        ("Харькову", "Kharkiv", None), ("ВСУ", "Armed Forces of Ukraine", None),
        ("Миколаєві", "Mykolaiv", "Ukrainian spelling"), ("Владимир Путин", "Vladimir Putin", None),
        ("Дмитрий Песков", "Dmitry Peskov", None), ("Москве", "Moscow", None),
        ("Минобороны России", "Ministry of Defence of the Russian Federation", None)]


def test_ukrainian_text_marks_russian_spellings(pipeline):
    text = "У Харкові та Харькове тихо. Володимир Зеленський заявив, що ЗСУ відбили атаку на Київ. Путин сказав."
    assert linked(pipeline, text, "uk") == [
        ("Харкові", "Kharkiv", None), ("Харькове", "Kharkiv", "Russian spelling"),
        ("Володимир Зеленський", "Volodymyr Zelenskyy", None), ("ЗСУ", "Armed Forces of Ukraine", None),
        ("Київ", "Kyiv", None), ("Путин", "Vladimir Putin", "Russian spelling")]


def test_a_lower_case_word_is_not_a_name(pipeline):
    assert linked(pipeline, "Мы рады, что верховная власть молчит.", "ru") == []
