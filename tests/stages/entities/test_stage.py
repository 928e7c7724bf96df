"""Entity linking on real sentences with the real parser: gazetteer links, label fixes, spelling variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import ConfigurationError
from sourcetrace.pipeline.run import Pipeline, load_pipeline


@pytest.fixture(scope="module")
def linker_pipeline() -> Pipeline:
    return load_pipeline(["backbone", "entities"])


def entities_of(pipeline: Pipeline, text: str) -> list:
    analysis = pipeline.analyze(ArticleInfo(id="t", text=text))
    for entity in analysis.entities:
        assert entity.span.text == text[entity.span.start : entity.span.end]
    return analysis.entities


def by_text(entities: list, text: str):
    found = [e for e in entities if e.span.text == text]
    assert found, f"no entity {text!r} in {[e.span.text for e in entities]}"
    return found[0]


def test_reference_article_variants_outlets_and_labels(seed_analysis) -> None:
    entities = seed_analysis.entities
    variants = {(e.variant.canonical, e.variant.variant) for e in entities if e.variant}
    assert {("Kharkiv", "Kharkov"), ("Kyiv", "Kiev"), ("Luhansk", "Lugansk"), ("Izium", "Izyum"),
            ("Balakliia", "Balakliya")} <= variants
    assert all(e.variant.origin == "Russian-derived transliteration" for e in entities if e.variant)

    kiev = by_text(entities, "Kiev")  # spaCy sm calls it PERSON; linked, it is the city
    assert (kiev.canonical, kiev.entity_id, kiev.type, kiev.label) == ("Kyiv", "Q1899", "place", "GPE")
    izyum = by_text(entities, "Izyum")
    assert izyum.canonical == "Izium" and izyum.variant.origin == "Russian-derived transliteration"
    lpr = by_text(entities, "Lugansk People\u2019s Republic")
    assert lpr.canonical == "Luhansk People's Republic" and lpr.variant.variant == "Lugansk"
    region = by_text(entities, "Kharkov region")
    assert region.canonical == "Kharkiv Oblast" and region.variant.canonical == "Kharkiv"

    sputnik = by_text(entities, "Sputnik")
    assert (sputnik.type, sputnik.label) == ("outlet", "ORG")
    assert sputnik.profile["country"] == "Russia" and sputnik.profile["state_owned"] is True
    mayadeen = by_text(entities, "Al Mayadeen")
    assert (mayadeen.type, mayadeen.label) == ("outlet", "ORG")
    assert mayadeen.profile["country"] == "Lebanon" and mayadeen.profile["state_owned"] is False

    assert by_text(entities, "Tochka-U").type == "equipment"
    assert by_text(entities, "Andrei Marochko").canonical == by_text(entities, "Marochko").canonical
    assert by_text(entities, "NATO").entity_id == "Q7184"
    assert by_text(entities, "Denis Pushilin").type == "person"
    assert by_text(entities, "Russian ministry of defense").canonical == "Ministry of Defence of the Russian Federation"
    # no two entities overlap in the reference article
    spans = sorted((e.span.start, e.span.end) for e in entities)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_kiev_cake_is_the_dish_not_the_city(linker_pipeline) -> None:
    text = "My grandmother baked a Kiev cake for the party, just as bakers in Kiev have done since 1956."
    entities = entities_of(linker_pipeline, text)
    cake = by_text(entities, "Kiev cake")
    assert cake.canonical == "Kyiv cake" and cake.type == "product" and cake.variant is None
    city = [e for e in entities if e.entity_id == "Q1899"]
    assert [e.span.start for e in city] == [text.rindex("Kiev")]  # only the second Kiev is the city
    assert city[0].variant.variant == "Kiev"


def test_donetsk_city_oblast_and_republic(linker_pipeline) -> None:
    text = ("Shelling hit Central Donetsk on Monday, fighting went on elsewhere in the Donetsk region, "
            "and the Donetsk People's Republic claimed new gains near Donetsk.")
    entities = entities_of(linker_pipeline, text)
    assert by_text(entities, "Donetsk region").canonical == "Donetsk Oblast"
    assert by_text(entities, "the Donetsk People's Republic").canonical == "Donetsk People's Republic"
    last = [e for e in entities if e.span.start == text.rindex("Donetsk")][0]
    assert last.canonical == "Donetsk" and last.profile["kind"] == "city"
    central = [e for e in entities if e.span.start <= text.index("Donetsk") < e.span.end][0]
    assert central.canonical == "Donetsk"  # "Central Donetsk" is still the city
    assert not any(e.variant for e in entities)  # Donetsk is spelled the same in both transliterations


def test_missed_names_are_added_and_common_words_are_not(linker_pipeline) -> None:
    text = ("Ukraine has received HIMARS and M777 howitzers, officials told Reuters. "
            "At the stadium, the athlete threw the javelin further than ever.")
    entities = entities_of(linker_pipeline, text)
    assert by_text(entities, "HIMARS").canonical == "M142 HIMARS"
    assert by_text(entities, "Reuters").entity_id == "Q130879"
    assert not [e for e in entities if "javelin" in e.span.text.lower()]


def test_person_variants_combine(linker_pipeline) -> None:
    text = "Vladimir Zelensky met Joe Biden in Washington, and Zelenskyy thanked him."
    entities = entities_of(linker_pipeline, text)
    both = by_text(entities, "Vladimir Zelensky")
    assert both.canonical == "Volodymyr Zelenskyy" and both.entity_id == "Q3881739"
    assert both.variant.variant == "Vladimir Zelensky" and "Russian-derived" in both.variant.origin
    assert by_text(entities, "Zelenskyy").variant is None
    assert by_text(entities, "Joe Biden").entity_id == "Q6279"


def test_user_gazetteer_extends_and_overrides(tmp_path: Path, monkeypatch) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "entries:\n"
        "  - {name: Ukroboronprom, type: organization, aliases: [UkrOboronProm], profile: {country: Ukraine}}\n"
        "  - {id: Q7184, name: NATO, type: organization, profile: {members: 30}}\n",
        encoding="utf-8",
    )
    pipeline = Pipeline(["backbone", "entities"], {"entities": {"gazetteer": [str(mine)]}})
    text = "Ukroboronprom said NATO partners had sent parts to Kharkiv."
    entities = pipeline.analyze(ArticleInfo(id="u", text=text)).entities
    assert by_text(entities, "Ukroboronprom").entity_id == "st:ukroboronprom"
    assert by_text(entities, "NATO").profile == {"members": 30}
    assert by_text(entities, "Kharkiv").entity_id == "Q42308"  # the builtin gazetteer is still there

    csv_file = tmp_path / "people.csv"
    csv_file.write_text("id,name,type,aliases\n,Oleksandr Kamyshin,person,Kamyshin\n", encoding="utf-8")
    monkeypatch.setenv("SOURCETRACE_GAZETTEER", str(csv_file))
    pipeline = Pipeline(["backbone", "entities"])
    entities = pipeline.analyze(ArticleInfo(id="c", text="Kamyshin said the trains were running.")).entities
    assert by_text(entities, "Kamyshin").canonical == "Oleksandr Kamyshin"


def test_broken_user_gazetteer_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - {name: Kupiansk, type: place\n  - {name: Izium}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad\.yaml:\d+: not valid YAML"):
        Pipeline(["backbone", "entities"], {"entities": {"gazetteer": [str(bad)]}})
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("entries:\n  - {type: place}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="entry 1 has no name"):
        Pipeline(["backbone", "entities"], {"entities": {"gazetteer": [str(nameless)]}})


def test_wikidata_import_feeds_the_linker(tmp_path: Path) -> None:
    from sourcetrace.ingest.wikidata import import_wikidata, parse_types
    from tests.ingest.test_wikidata import _dump_text, _entity

    dump = tmp_path / "dump.json"
    dump.write_text(_dump_text([_entity("Q4115712", "Kupiansk", ["Q515"], ["Kupyansk"])]), encoding="utf-8")
    out = tmp_path / "cities.yaml"
    assert import_wikidata(dump, out, parse_types("Q515")) == 1
    pipeline = Pipeline(["backbone", "entities"], {"entities": {"gazetteer": [str(out)]}})
    text = "Ukrainian troops entered Kupiansk on Saturday."
    city = by_text(pipeline.analyze(ArticleInfo(id="w", text=text)).entities, "Kupiansk")
    assert city.entity_id == "Q4115712" and city.label == "GPE"


def test_gazetteer_check_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sourcetrace.cli import app

    good = tmp_path / "good.yaml"
    good.write_text("entries:\n  - {name: Kupiansk, type: place, aliases: [Kupiansk city]}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["gazetteer", "check", str(good)])
    assert result.exit_code == 0 and "1 entries" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("spellings:\n  - {canonical: Kupiansk}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["gazetteer", "check", str(bad)])
    assert result.exit_code == 1 and "needs `canonical` and `variant`" in result.output


def test_a_person_named_like_a_place_stays_a_person(linker_pipeline) -> None:
    text = "The singer Yuri Nikolaev performed in Moscow, while shelling hit Nikolaev and Kharkov overnight."
    entities = entities_of(linker_pipeline, text)
    singer = [e for e in entities if e.span.start <= text.index("Nikolaev") < e.span.end]
    assert all(e.entity_id is None and e.variant is None for e in singer)  # no city in the singer's name
    city = [e for e in entities if e.span.start == text.rindex("Nikolaev")][0]
    assert city.canonical == "Mykolaiv" and city.variant.variant == "Nikolaev"
