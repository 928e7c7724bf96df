"""Russian and Ukrainian reported speech: source, cue, content, channel, speaker and kind on sentences written
for these tests in the forms news agencies use."""

import pytest

from sourcetrace.api import make_article
from sourcetrace.pipeline.languages import ukrainian
from sourcetrace.pipeline.run import Pipeline
from sourcetrace.stages.attribution.cyrillic.rules import quote_regions


@pytest.fixture(scope="module")
def attribution_pipeline():
    return Pipeline(("backbone", "attribution"))


@pytest.fixture(params=["dictionary", "word lists"])
def uk_morphology(request, monkeypatch):
    """Ukrainian with pymorphy3's dictionary (installed by the dev extra) and without it (the word lists)."""
    if request.param == "word lists":
        monkeypatch.setenv(ukrainian.DICTIONARY_SETTING, "off")
    else:
        monkeypatch.delenv(ukrainian.DICTIONARY_SETTING, raising=False)
        assert ukrainian.dictionary_enabled(), "the dev extra installs pymorphy3-dicts-uk"
    return request.param


def attributions(pipeline, text, language=None):
    analysis = pipeline.analyze(make_article(text, id="t", language=language))
    return [a for a in analysis.attributions if a.source_kind != "author"], analysis


def one(found, cue):
    matches = [a for a in found if a.cue is not None and a.cue.text == cue]
    assert len(matches) == 1, [(a.cue.text if a.cue else None, a.content.text) for a in found]
    return matches[0]


def test_quote_then_dash_then_speaker_with_role(attribution_pipeline):
    text = ("«Мы не видим оснований для беспокойства», — заявил пресс-секретарь президента РФ Дмитрий Песков.")
    found, _ = attributions(attribution_pipeline, text)
    item = one(found, "заявил")
    assert item.content.text == "«Мы не видим оснований для беспокойства»"
    assert item.source.text == "пресс-секретарь президента РФ Дмитрий Песков"
    assert item.speaker.name == "Дмитрий Песков" and item.speaker.role == "пресс-секретарь президента РФ"
    assert item.source_kind == "named_person" and item.quote_kind == "direct"


def test_according_to_a_speaker_in_the_genitive(attribution_pipeline):
    text = "По словам пресс-секретаря президента РФ Дмитрия Пескова, переговоры с Украиной продолжатся на этой неделе."
    found, _ = attributions(attribution_pipeline, text)
    item = one(found, "По словам")
    assert item.source.text == "пресс-секретаря президента РФ Дмитрия Пескова"
    assert item.content.text == "переговоры с Украиной продолжатся на этой неделе"
    assert item.speaker.name == "Дмитрий Песков" and item.speaker.role == "пресс-секретарь президента РФ"
    assert item.quote_kind == "indirect"


def test_about_this_takes_the_sentence_before_and_a_pronoun_the_speaker_before(attribution_pipeline):
    text = ("Россия готова к переговорам с Украиной без предварительных условий. Об этом заявил "
            "пресс-секретарь президента Дмитрий Песков журналистам. Он добавил, что Кремль ждет ответа от Киева.")
    found, _ = attributions(attribution_pipeline, text)
    stated = one(found, "заявил")
    assert stated.content.text == "Россия готова к переговорам с Украиной без предварительных условий"
    assert stated.channel.text == "журналистам"
    added = one(found, "добавил")
    assert added.source.text == "Он" and added.source_kind == "pronoun"
    assert added.speaker.name == "Дмитрий Песков"
    assert added.content.text == "что Кремль ждет ответа от Киева"  # the complementiser is content


def test_agencies_as_sources_and_as_channels(attribution_pipeline):
    text = ("Украинские военные обстреляли Донецк, сообщает ТАСС со ссылкой на местные власти. "
            "Как передает РИА Новости, погибли три человека. "
            "«Эти кредиты приведут к разворовыванию страны», — сказал РИА Новости Рогов.")
    found, _ = attributions(attribution_pipeline, text)
    reports = one(found, "сообщает")
    assert reports.source.text == "ТАСС" and reports.content.text == "Украинские военные обстреляли Донецк"
    assert reports.source_kind == "named_organization"
    relays = one(found, "Как передает")
    assert relays.source.text == "РИА Новости" and relays.content.text == "погибли три человека"
    told = one(found, "сказал")
    assert told.source.text == "Рогов" and told.channel.text == "РИА Новости"
    assert told.source_kind == "named_person"


def test_anonymous_sources_and_beliefs(attribution_pipeline):
    text = ("Источник в правительстве сообщил, что решение будет принято до конца недели. "
            "По информации источников, переговоры сорваны. Эксперт считает, что санкции не сработают.")
    found, _ = attributions(attribution_pipeline, text)
    assert one(found, "сообщил").source_kind == "anonymous"
    assert one(found, "сообщил").source.text == "Источник в правительстве"
    assert one(found, "По информации").source_kind == "anonymous"
    believes = one(found, "считает")
    assert believes.content.text == "что санкции не сработают" and believes.source.text == "Эксперт"


def test_statement_document_is_the_channel(attribution_pipeline):
    text = "Удары наносились только по военным объектам, говорится в заявлении Минобороны России."
    found, _ = attributions(attribution_pipeline, text)
    item = one(found, "говорится")
    assert item.content.text == "Удары наносились только по военным объектам"
    assert item.channel.text == "в заявлении"
    assert item.source.text == "Минобороны России"


def test_colon_before_a_quote(attribution_pipeline):
    text = "Глава МИД Сергей Лавров заявил: «Мы готовы к диалогу, но не на этих условиях»."
    found, _ = attributions(attribution_pipeline, text)
    item = one(found, "заявил")
    assert item.content.text == "«Мы готовы к диалогу, но не на этих условиях»"
    assert item.speaker.name == "Сергей Лавров"


def test_ukrainian_forms(attribution_pipeline, uk_morphology):
    text = ("«Україна є найкращою країною в моїй зоні відповідальності», - заявила пані Сміт. "
            "За словами Бориса Шефіра, він не спілкується з Зеленським вже два роки. "
            "Як повідомляє журналіст Віталій Глагола, кожен автомобіль ретельно перевіряють. "
            "Президент України Володимир Зеленський заявив, що Україна розраховує отримати ракети.")
    found, analysis = attributions(attribution_pipeline, text, language="uk")
    assert analysis.article.language == "uk"
    assert one(found, "заявила").source.text == "пані Сміт"
    according = one(found, "За словами")
    assert according.speaker.name == "Борис Шефір"
    assert according.content.text == "він не спілкується з Зеленським вже два роки"
    assert one(found, "Як повідомляє").speaker.name == "Віталій Глагола"
    stated = one(found, "заявив")
    assert stated.speaker.name == "Володимир Зеленський" and stated.speaker.role == "Президент України"
    assert stated.content.text == "що Україна розраховує отримати ракети"


def test_ukrainian_news_forms_with_and_without_the_dictionary(attribution_pipeline, uk_morphology):
    text = ("Україна не погодиться на заморожування конфлікту, — заявив Зеленський. "
            "За словами речника Повітряних сил Юрія Ігната, ворог запустив 40 дронів. "
            "Як передає Укрінформ, обстріли тривали всю ніч.")
    found, analysis = attributions(attribution_pipeline, text, language="uk")
    stated = one(found, "заявив")
    assert (stated.source.text, stated.source_kind, stated.speaker.name) == ("Зеленський", "named_person",
                                                                             "Зеленський")
    assert stated.content.text == "Україна не погодиться на заморожування конфлікту"
    according = one(found, "За словами")
    assert according.speaker.name == "Юрій Ігнат" and according.content.text == "ворог запустив 40 дронів"
    assert one(found, "Як передає").source_kind == "named_organization"
    warned = ukrainian.NO_DICTIONARY_WARNING in analysis.meta.warnings
    assert warned == (uk_morphology == "word lists")


def test_the_authors_own_voice(attribution_pipeline):
    text = ("Ночью над Белгородской областью были сбиты несколько беспилотников. "
            "По данным Минобороны, пострадавших нет.")
    analysis = attribution_pipeline.analyze(make_article(text, id="t"))
    authored = [a for a in analysis.attributions if a.source_kind == "author"]
    assert [a.content.text for a in authored] == [
        "Ночью над Белгородской областью были сбиты несколько беспилотников."]


def test_a_quotation_split_by_its_cue_is_one_content(attribution_pipeline):
    text = "«Они обязывают врачей проводить операции, — заявили епископы. — Заверения мало утешают»."
    found, _ = attributions(attribution_pipeline, text)
    item = one(found, "заявили")
    assert item.content.text == text[:-1]  # the whole quotation, without the final full stop
    assert item.source.text == "епископы"


def test_headline_forms_without_a_verb(attribution_pipeline):
    text = "Рашисти використовують окуповану Запорізьку АЕС для шантажу, – ГУР\nЛавров: переговоры возможны\n"
    found, _ = attributions(attribution_pipeline, text, language="uk")
    assert {(a.source.text, a.content.text) for a in found if a.cue is None} >= {
        ("ГУР", "Рашисти використовують окуповану Запорізьку АЕС для шантажу")}
    found, _ = attributions(attribution_pipeline, "Песков: Кремль не видит оснований для беспокойства\n\nТекст.", "ru")
    assert [(a.source.text, a.cue, a.content.text) for a in found] == [
        ("Песков", None, "Кремль не видит оснований для беспокойства")]


def test_nested_quotes_make_one_region():
    text = "«Это «черный лебедь» для рынка», — сказал он. \"Другая\" цитата."
    assert [text[s:e] for s, e in quote_regions(text)] == ["«Это «черный лебедь» для рынка»", "\"Другая\""]
