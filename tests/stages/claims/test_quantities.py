"""Quantities on real sentences with the real parser: values, bounds, units, kinds, vagueness, direction."""

from __future__ import annotations

import pytest

from sourcetrace.pipeline.backbone import load_spacy
from sourcetrace.stages.claims.quantities import find_quantities


@pytest.fixture(scope="module")
def nlp():
    return load_spacy()


def quantities(nlp, text: str) -> dict[str, dict]:
    doc = nlp(text)
    found = {}
    for quantity in find_quantities(doc, 0, len(text), text):
        assert quantity.span.text == text[quantity.span.start : quantity.span.end]
        found[quantity.span.text] = quantity.model_dump(exclude={"span"})
    return found


def test_more_than_two_fold_is_a_ratio_with_a_lower_bound_and_a_direction(nlp) -> None:
    found = quantities(nlp, "Since then, the number of civilian casualties in the DPR has increased by more than "
                            "two-fold.")
    ratio = found["more than two-fold"]
    assert (ratio["kind"], ratio["lower"], ratio["value"], ratio["direction"]) == ("ratio", 2.0, None, "increase")


def test_thousands_of_mercenaries_is_a_vague_count(nlp) -> None:
    found = quantities(nlp, "The Ukrainian army, among whose ranks thousands of mercenaries are fighting, advanced.")
    count = found["thousands of mercenaries"]
    assert (count["kind"], count["lower"], count["unit"], count["vague"]) == ("count", 1000.0, "mercenaries", True)


def test_three_day_operation_is_a_duration(nlp) -> None:
    found = quantities(nlp, "It was carried out over the course of a three-day operation conducted to minimize losses.")
    assert found["three-day"]["kind"] == "duration"
    assert (found["three-day"]["value"], found["three-day"]["unit"]) == (3.0, "day")


def test_percent_money_and_multipliers_with_directions(nlp) -> None:
    found = quantities(nlp, "Unemployment fell by 3.5 percent, the deficit is $4.2 billion, exports tripled and "
                            "imports halved.")
    assert (found["3.5 percent"]["kind"], found["3.5 percent"]["value"]) == ("percent", 3.5)
    assert found["3.5 percent"]["direction"] == "decrease"
    assert (found["$4.2 billion"]["kind"], found["$4.2 billion"]["unit"]) == ("money", "USD")
    assert found["$4.2 billion"]["value"] == 4.2e9
    assert (found["tripled"]["value"], found["tripled"]["direction"]) == (3.0, "increase")
    assert (found["halved"]["value"], found["halved"]["direction"]) == (0.5, "decrease")


def test_numbers_in_words_vague_plurals_measures_and_ranges(nlp) -> None:
    found = quantities(nlp, "Dozens of people and hundreds of soldiers died; twenty-five tanks and 1,200 troops "
                            "moved 30 km in two weeks, and between 10 and 20 drones were shot down.")
    assert (found["Dozens of people"]["lower"], found["Dozens of people"]["vague"]) == (12.0, True)
    assert found["hundreds of soldiers"]["lower"] == 100.0
    assert (found["twenty-five tanks"]["value"], found["twenty-five tanks"]["unit"]) == (25.0, "tanks")
    assert (found["1,200 troops"]["value"], found["1,200 troops"]["kind"]) == (1200.0, "count")
    assert (found["30 km"]["kind"], found["30 km"]["unit"]) == ("measure", "km")
    assert (found["two weeks"]["kind"], found["two weeks"]["unit"], found["two weeks"]["value"]) == (
        "duration", "week", 2.0)
    drones = found["between 10 and 20 drones"]
    assert (drones["lower"], drones["upper"], drones["value"]) == (10.0, 20.0, None)


def test_bounds_and_approximations(nlp) -> None:
    found = quantities(nlp, "Up to 300 euros were paid to about 40% of the workers, nearly half of them women, "
                            "and tens of thousands of people fled.")
    assert (found["Up to 300 euros"]["upper"], found["Up to 300 euros"]["kind"]) == (300.0, "money")
    assert (found["about 40%"]["value"], found["about 40%"]["vague"]) == (40.0, True)
    assert (found["nearly half"]["upper"], found["nearly half"]["kind"]) == (0.5, "ratio")
    assert found["tens of thousands of people"]["lower"] == 10000.0


def test_dates_years_and_ordinals_are_not_quantities(nlp) -> None:
    found = quantities(nlp, "On September 11th, 2022, the first convoy left, two years ago.")
    assert found == {}
