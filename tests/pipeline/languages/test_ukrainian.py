"""Ukrainian with and without pymorphy3's Ukrainian dictionary (GPL-3 data, the optional `uk-dictionary` extra).

The dictionary is installed in the development environment (the `dev` extra); `SOURCETRACE_UK_DICTIONARY=off`
makes the backbone see none, as in the default install."""

import pytest

from sourcetrace.api import make_article
from sourcetrace.pipeline.languages import ukrainian
from sourcetrace.pipeline.languages.cyrillic import load_cyrillic
from sourcetrace.pipeline.run import Pipeline

UKRAINIAN = ("Про це заявив речник Повітряних сил ЗСУ Юрій Ігнат. За словами Володимира Зеленського, у Харкові "
             "м'ясо подорожчало.\nДрузі! Міністерство оборони України повідомляє.")


@pytest.fixture
def no_dictionary(monkeypatch):
    monkeypatch.setenv(ukrainian.DICTIONARY_SETTING, "off")


@pytest.fixture
def dictionary(monkeypatch):
    monkeypatch.delenv(ukrainian.DICTIONARY_SETTING, raising=False)
    assert ukrainian.dictionary_enabled(), "the dev extra installs pymorphy3-dicts-uk"


def test_the_setting_hides_the_dictionary(no_dictionary):
    assert not ukrainian.dictionary_enabled()
    backbone = load_cyrillic("uk")
    assert isinstance(backbone.morph_analyzer, ukrainian.UkrainianWordLists)
    assert backbone.warning == ukrainian.NO_DICTIONARY_WARNING
    assert "word lists" in backbone.version()


def test_the_dictionary_when_installed(dictionary):
    backbone = load_cyrillic("uk")
    assert not isinstance(backbone.morph_analyzer, ukrainian.UkrainianWordLists)
    assert backbone.warning is None
    assert "pymorphy3-dicts-uk" in backbone.version()


def test_without_the_dictionary_sentences_lemmas_verbs_and_names(no_dictionary):
    doc = load_cyrillic("uk")(UKRAINIAN)
    assert doc.text == UKRAINIAN
    assert len(list(doc.sents)) == 4
    assert "м'ясо" in [t.text for t in doc]
    said = next(t for t in doc if t.text == "заявив")
    assert (said.lemma_, said.pos_) == ("заявити", "VERB")
    assert said.morph.get("VerbForm") == ["Fin"] and said.morph.get("Tense") == ["Past"]
    assert next(t for t in doc if t.text == "повідомляє").morph.get("Tense") == ["Pres"]
    assert next(t for t in doc if t.text == "Зеленського").lemma_ == "Зеленський"
    assert next(t for t in doc if t.text == "подорожчало").lemma_ == "подорожчало"  # unknown: the word itself
    assert {(e.text, e.label_) for e in doc.ents} == {
        ("ЗСУ", "ORG"), ("Юрій Ігнат", "PERSON"), ("Володимира Зеленського", "PERSON")}


def test_a_perfective_verbs_present_form_is_its_future(no_dictionary):
    doc = load_cyrillic("uk")("Речник прокоментує рішення, а міністр коментує його щодня.")
    assert next(t for t in doc if t.text == "прокоментує").morph.get("Tense") == ["Fut"]
    assert next(t for t in doc if t.text == "коментує").morph.get("Tense") == ["Pres"]


def test_the_word_lists_agree_with_the_dictionary(dictionary):
    """Every form the word lists make of a word the dictionary knows is a form of that word in the dictionary,
    with the same tense for verbs (apostrophe spellings the dictionary does not list aside)."""
    import pymorphy3

    exact = pymorphy3.MorphAnalyzer(lang="uk")
    lists = ukrainian.word_lists()
    tenses = {"past": "past", "pres": "pres", "futr": "futr", None: None}
    wrong = []
    checked = 0
    for form, parses in lists._words.items():
        if "’" in form or "ʼ" in form:
            continue
        for parse in parses:
            if parse.tag.POS not in ("VERB", "INFN", "NOUN") or not exact.word_is_known(parse.normal_form):
                continue
            checked += 1
            if not any(p.normal_form == parse.normal_form and (parse.tag.POS != "VERB" or p.tag.tense ==
                                                               tenses[parse.tag.tense]) for p in exact.parse(form)):
                wrong.append((form, parse.normal_form, parse.tag.tense))
    assert checked > 400 and wrong == []


def test_the_cue_verbs_forms_news_use():
    lists = ukrainian.word_lists()
    expected = {"заявив": "заявити", "заявила": "заявити", "заявили": "заявити", "повідомив": "повідомити",
                "повідомила": "повідомити", "повідомляє": "повідомляти", "наголосив": "наголосити",
                "зазначили": "зазначити", "розповів": "розповісти", "пише": "писати", "передає": "передавати",
                "йдеться": "йтися", "висловився": "висловитися", "стверджується": "стверджуватися"}
    found = {word: next(p.normal_form for p in lists.parse(word) if p.tag.POS == "VERB") for word in expected}
    assert found == expected
    assert lists.parse("заявити")[0].tag.POS == "INFN"


def test_inflect_makes_the_cases_of_places_and_people():
    lists = ukrainian.word_lists()
    forms = {case: lists.parse(word)[0].inflect({case}).word
             for word in ("Харків",) for case in ("gent", "loct")}
    assert forms == {"gent": "харкова", "loct": "харкові"}
    assert lists.parse("Миколаїв")[0].inflect({"gent"}).word == "миколаєва"
    assert lists.parse("Зеленський")[0].inflect({"datv"}).word == "зеленському"
    assert lists.parse("Володимир")[0].inflect({"ablt"}).word == "володимиром"
    assert lists.parse("заява")[0].inflect({"ablt"}) is None  # a lexicon noun has no paradigm here


def test_meta_warnings_say_once_that_lemmas_are_approximate(no_dictionary):
    analysis = Pipeline(("backbone",)).analyze(make_article(UKRAINIAN, id="uk", language="uk"))
    assert analysis.meta.warnings.count(ukrainian.NO_DICTIONARY_WARNING) == 1
    assert "uk-dictionary" in ukrainian.NO_DICTIONARY_WARNING


def test_no_warning_with_the_dictionary_or_for_russian(dictionary):
    pipeline = Pipeline(("backbone",))
    analysis = pipeline.analyze(make_article(UKRAINIAN, id="uk", language="uk"))
    assert ukrainian.NO_DICTIONARY_WARNING not in analysis.meta.warnings
    russian = pipeline.analyze(make_article("Об этом заявил Дмитрий Песков.", id="ru", language="ru"))
    assert ukrainian.NO_DICTIONARY_WARNING not in russian.meta.warnings
