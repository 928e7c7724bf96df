"""Temporal expressions on real sentences with the real parser, normalised against the publication date."""

from __future__ import annotations

import datetime as dt

import pytest

from sourcetrace.analysis import ArticleInfo
from sourcetrace.pipeline.run import Pipeline, load_pipeline
from sourcetrace.stages.time.stage import normalise

PUBLISHED = dt.date(2022, 9, 13)  # a Tuesday, the reference article's date


@pytest.fixture(scope="module")
def time_pipeline() -> Pipeline:
    return load_pipeline(["backbone", "time"])


def times_of(pipeline: Pipeline, text: str, published: str | None = "2022-09-13") -> dict[str, tuple]:
    analysis = pipeline.analyze(ArticleInfo(id="t", text=text, published=published))
    for expression in analysis.times:
        assert expression.span.text == text[expression.span.start : expression.span.end]
    return {t.span.text: (t.value, t.type, t.anchored) for t in analysis.times}


def test_reference_article_dates(seed_analysis) -> None:
    times = {t.span.text: t for t in seed_analysis.times}
    assert (times["September 11th"].value, times["September 11th"].anchored) == ("2022-09-11", True)
    assert times["September 10th"].value == "2022-09-10"
    assert times["Earlier in August"].value == "2022-08"
    assert (times["three-day"].value, times["three-day"].type) == ("P3D", "duration")
    assert (times["for months"].value, times["for months"].type) == ("PXM", "duration")


def test_without_a_publication_date_the_year_stays_unknown(time_pipeline, seed_text) -> None:
    times = times_of(time_pipeline, seed_text, published=None)
    assert times["September 11th"] == ("XXXX-09-11", "date", False)
    assert times["Earlier in August"] == ("XXXX-08", "date", False)
    relative = times_of(time_pipeline, "Russian forces shelled Kharkiv yesterday.", published=None)
    assert relative["yesterday"] == (None, "date", False)  # found, never guessed


def test_relative_expressions_resolve_against_the_anchor(time_pipeline) -> None:
    text = ("Russian forces shelled Kharkiv yesterday, the governor said on Monday. "
            "Three days later, on September 14, the city was quiet again. "
            "Last week the ministry said fighting had gone on for three weeks, and last month it promised a pause. "
            "Two days ago Ukraine said the 1990s agreements still stood, as they had since 2014. "
            "The next day, officials met again; talks were held on 24 February 2022 and every week since.")
    times = times_of(time_pipeline, text)
    assert times["yesterday"] == ("2022-09-12", "date", True)
    assert times["Monday"] == ("2022-09-12", "date", True)  # the most recent Monday
    assert times["Three days later"] == ("2022-09-15", "date", True)  # counted from Monday
    assert times["Last week"] == ("2022-W36", "date", True)
    assert times["for three weeks"] == ("P3W", "duration", False)
    assert times["last month"] == ("2022-08", "date", True)
    assert times["Two days ago"] == ("2022-09-11", "date", True)
    assert times["The next day"] == (None, "date", False)  # counts from "since 2014", which names no day
    assert times["the 1990s"][0] == "199X"
    assert times["24 February 2022"] == ("2022-02-24", "date", False)
    assert times["every week"] == ("P1W", "set", False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("September 11th", "2022-09-11"),
        ("Sept. 11", "2022-09-11"),
        ("11 September", "2022-09-11"),
        ("December 30", "2021-12-30"),  # news looks back ...
        ("October 2", "2022-10-02"),  # ... unless the date is at most three months ahead
        ("January 3", "2022-01-03"),
        ("November", "2022-11"),
        ("February", "2022-02"),
        ("September 11, 2001", "2001-09-11"),
        ("August", "2022-08"),
        ("last August", "2022-08"),
        ("next August", "2023-08"),
        ("August 2014", "2014-08"),
        ("September 10-11", "2022-09-10/2022-09-11"),
        ("2014", "2014"),
        ("last year", "2021"),
        ("this week", "2022-W37"),
        ("next Monday", "2022-09-19"),
        ("last Tuesday", "2022-09-06"),
        ("two weeks ago", "2022-W35"),
        ("tomorrow", "2022-09-14"),
        ("last night", "2022-09-12TNI"),
        ("a three-day", "P3D"),
        ("months", "PXM"),
        ("the past few weeks", "PXW"),
        ("24 hours", "PT24H"),
        ("recently", "PAST_REF"),
        ("summer 2022", "2022-SU"),
        ("Friday 3 September", "2022-09-03"),
        ("the first week of September", "2022-09"),  # coarser, never wrong
        ("the 2014 referendum", "2014"),
    ],
)
def test_normalise(text: str, value: str) -> None:
    assert normalise(text, PUBLISHED).value == value


def test_normalise_never_invents_a_year() -> None:
    assert normalise("September 11th", None).value == "XXXX-09-11"
    assert normalise("last week", None).value is None
    assert normalise("three days later", None).value is None
    assert normalise("September 11, 2001", None).value == "2001-09-11"
    assert normalise("Sunday, September 11, 2022", None).value == "2022-09-11"  # read by dateparser
    assert normalise("September 31", PUBLISHED).value == "2022-09"  # no such day: only the month is sure


def test_counting_from_the_previous_date_respects_its_precision() -> None:
    year_2014 = (dt.date(2014, 1, 1), "Y")
    assert normalise("the next year", PUBLISHED, year_2014).value == "2015"
    assert normalise("two years later", PUBLISHED, year_2014).value == "2016"
    assert normalise("three days later", PUBLISHED, year_2014).value is None  # no day in "2014"
    assert normalise("a month later", PUBLISHED, dt.date(2022, 2, 24)).value == "2022-03"
    assert normalise("many years ago", PUBLISHED).value == "PAST_REF"
