"""Russian and Ukrainian dates, normalised against the publication date like the English ones."""

import datetime as dt

import pytest

from sourcetrace.stages.time.cyrillic import CyrillicTimes

PUBLISHED = dt.date(2022, 6, 1)  # a Wednesday

RUSSIAN = ("24 февраля 2022 года началась операция. Вчера в Москве, в понедельник и в январе 2023 года, а также "
           "12.03.2022 и 5 мая. В 2014 году. На прошлой неделе.")
UKRAINIAN = "24 лютого 2022 року. Учора у Харкові, у п'ятницю та у травні 2023 року. Минулого тижня."


def values(language, text, published):
    return [(e.span.text, e.value, e.anchored) for e in CyrillicTimes(language).expressions(text, published)]


def test_russian_dates_with_a_publication_date():
    assert values("ru", RUSSIAN, PUBLISHED) == [
        ("24 февраля 2022 года", "2022-02-24", False), ("Вчера", "2022-05-31", True),
        ("в понедельник", "2022-05-30", True), ("в январе 2023 года", "2023-01", False),
        ("12.03.2022", "2022-03-12", False), ("5 мая", "2022-05-05", True), ("В 2014 году", "2014", False),
        ("На прошлой неделе", "2022-W21", True)]


def test_ukrainian_dates_with_and_without_a_publication_date():
    assert values("uk", UKRAINIAN, PUBLISHED) == [
        ("24 лютого 2022 року", "2022-02-24", False), ("Учора", "2022-05-31", True),
        ("у п'ятницю", "2022-05-27", True), ("у травні 2023 року", "2023-05", False),
        ("Минулого тижня", "2022-W21", True)]
    # no year is guessed without a publication date
    assert values("uk", UKRAINIAN, None) == [
        ("24 лютого 2022 року", "2022-02-24", False), ("Учора", None, False), ("у п'ятницю", None, False),
        ("у травні 2023 року", "2023-05", False), ("Минулого тижня", "PAST_REF", False)]


@pytest.mark.parametrize("text", ["31.02.2022", "45 марта", "в 3 года"])
def test_impossible_or_non_dates_are_left_out(text):
    assert values("ru", text, PUBLISHED) == []
