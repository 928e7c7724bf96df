"""Temporal expressions in Russian and Ukrainian, normalised like the English ones (see `stage.py`).

Found by patterns over the text: dates with a month name ("24 февраля 2022 года", "24 лютого"), numeric dates
(24.02.2022), months and years ("в январе 2023 года", "у 2022 році"), days relative to the publication
("вчера", "сьогодні"), weekdays ("в понедельник", "у п'ятницю") and "в прошлом году" / "минулого тижня".
Full dates go through dateparser with the article's language; a date without a year takes the closest year
to the publication date, or stays XXXX-MM-DD without one. A weekday is the latest one on or before the
publication date (news reports what happened); without a publication date it has no value.
"""

from __future__ import annotations

import datetime as dt
import re

from sourcetrace.analysis import Span, TimeExpression
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC
from sourcetrace.stages.time.calendar import Resolution, closest_year

# month stems: genitive ("февраля", "лютого") and prepositional ("в феврале", "у лютому") forms share them
_MONTH_STEMS = {
    "ru": ["январ", "феврал", "март", "апрел", "ма[йяе]", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
           "декабр"],
    "uk": ["січн", "лют", "березн", "квітн", "травн", "червн", "липн", "серпн", "вересн", "жовтн", "листопад",
           "грудн"],
}
_MONTH_ENDINGS = r"(?:[ьяею]|а|і|ого|ому|ні|ня|ень|ий|е)?"
_RELATIVE_DAYS = {
    "позавчера": -2, "вчера": -1, "сегодня": 0, "завтра": 1, "послезавтра": 2,
    "позавчора": -2, "вчора": -1, "учора": -1, "сьогодні": 0, "післязавтра": 2,
}
_WEEKDAYS = {
    "ru": ["понедельник", "вторник", "сред[ау]", "четверг", "пятниц[ау]", "суббот[ау]", "воскресенье"],
    "uk": ["понеділ[оо]?к", "вівтор[оо]?к", "серед[ау]", "четвер", "п['’ʼ]?ятниц[яю]", "субот[ау]", "неділ[яю]"],
}
_YEAR_WORDS = r"(?:год[ау]?|году|г\.|гг\.|рок[уи]?|році|р\.)"
_THIS_LAST = {
    "ru": {"в прошлом году": ("Y", -1), "в этом году": ("Y", 0), "в следующем году": ("Y", 1),
           "в прошлом месяце": ("M", -1), "в этом месяце": ("M", 0), "на прошлой неделе": ("W", -1),
           "на этой неделе": ("W", 0), "на следующей неделе": ("W", 1)},
    "uk": {"минулого року": ("Y", -1), "цього року": ("Y", 0), "торік": ("Y", -1), "наступного року": ("Y", 1),
           "минулого місяця": ("M", -1), "цього місяця": ("M", 0), "минулого тижня": ("W", -1),
           "цього тижня": ("W", 0), "наступного тижня": ("W", 1)},
}


def _month_pattern(language: str) -> str:
    return "(?P<month>" + "|".join(f"{stem}{_MONTH_ENDINGS}" for stem in _MONTH_STEMS[language]) + ")"


def _month_number(word: str, language: str) -> int | None:
    for number, stem in enumerate(_MONTH_STEMS[language], start=1):
        if re.match(stem, word.lower()):
            return number
    return None


class CyrillicTimes:
    """Temporal expressions of one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        month = _month_pattern(language)
        self.patterns = [
            ("date", re.compile(rf"(?<!\w)(?P<day>\d{{1,2}})(?:-?(?:го|е|ого))?\s+{month}(?:\s+(?P<year>(?:19|20)\d\d)"
                                rf"(?:\s*{_YEAR_WORDS})?)?(?!\w)", re.IGNORECASE)),
            ("numeric", re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<mon>[01]?\d)\.(?P<year>(?:19|20)\d\d)(?![\d.])")),
            ("month", re.compile(rf"(?<!\w)(?:в|у|во)\s+{month}(?:\s+(?P<year>(?:19|20)\d\d)"
                                 rf"(?:\s*{_YEAR_WORDS})?)?(?!\w)", re.IGNORECASE)),
            ("year", re.compile(rf"(?<!\w)(?:в|у|с|з|до)\s+(?P<year>(?:19|20)\d\d)\s*{_YEAR_WORDS}", re.IGNORECASE)),
            ("relative", re.compile(r"(?<!\w)(?P<word>" + "|".join(_RELATIVE_DAYS) + r")(?!\w)", re.IGNORECASE)),
            ("weekday", re.compile(r"(?<!\w)(?:в|во|у)\s+(?P<weekday>" + "|".join(_WEEKDAYS[language]) + r")(?!\w)",
                                   re.IGNORECASE)),
            ("this_last", re.compile(r"(?<!\w)(?P<phrase>" + "|".join(re.escape(p) for p in _THIS_LAST[language])
                                     + r")(?!\w)", re.IGNORECASE)),
        ]

    def expressions(self, text: str, published: dt.date | None) -> list[TimeExpression]:
        found: list[tuple[int, int, Resolution]] = []
        for kind, pattern in self.patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(s < end and start < e for s, e, _ in found):
                    continue  # an earlier, more precise pattern took it
                resolution = self._resolve(kind, match, published)
                if resolution is not None:
                    found.append((start, end, resolution))
        return [TimeExpression(span=Span.of(text, start, end), value=r.value, type=r.type, anchored=r.anchored)
                for start, end, r in sorted(found, key=lambda item: item[0])]

    def _resolve(self, kind: str, match: re.Match[str], published: dt.date | None) -> Resolution | None:
        groups = match.groupdict()
        if kind == "date":
            month = _month_number(groups["month"], self.language)
            day = int(groups["day"])
            if month is None or not 1 <= day <= 31:
                return None
            if groups.get("year"):
                parsed = _dateparser(match.group(), self.language)
                if parsed is not None:
                    return Resolution(parsed.isoformat(), "date", False, (parsed, "D"))
                return None
            if published is None:
                return Resolution(f"XXXX-{month:02d}-{day:02d}", "date")
            year = closest_year(published, month, day)
            try:
                point = dt.date(year, month, day)
            except ValueError:
                return None
            return Resolution(point.isoformat(), "date", True, (point, "D"))
        if kind == "numeric":
            try:
                point = dt.date(int(groups["year"]), int(groups["mon"]), int(groups["day"]))
            except ValueError:
                return None
            return Resolution(point.isoformat(), "date", False, (point, "D"))
        if kind == "month":
            month = _month_number(groups["month"], self.language)
            if month is None:
                return None
            if groups.get("year"):
                return Resolution(f"{int(groups['year']):04d}-{month:02d}", "date")
            if published is None:
                return Resolution(f"XXXX-{month:02d}", "date")
            return Resolution(f"{closest_year(published, month, None):04d}-{month:02d}", "date", True)
        if kind == "year":
            return Resolution(f"{int(groups['year']):04d}", "date")
        if kind == "relative":
            if published is None:
                return Resolution(None, "date")
            point = published + dt.timedelta(days=_RELATIVE_DAYS[groups["word"].lower()])
            return Resolution(point.isoformat(), "date", True, (point, "D"))
        if kind == "weekday":
            if published is None:
                return Resolution(None, "date")
            wanted = next(i for i, p in enumerate(_WEEKDAYS[self.language]) if re.fullmatch(p, groups["weekday"],
                                                                                              re.IGNORECASE))
            point = published - dt.timedelta(days=(published.weekday() - wanted) % 7)
            return Resolution(point.isoformat(), "date", True, (point, "D"))
        if kind == "this_last":
            unit, shift = _THIS_LAST[self.language][groups["phrase"].lower()]
            if published is None:
                return Resolution({-1: "PAST_REF", 0: "PRESENT_REF", 1: "FUTURE_REF"}[shift], "date")
            return _shifted(published, unit, shift)
        return None


def _shifted(published: dt.date, unit: str, shift: int) -> Resolution:
    if unit == "Y":
        return Resolution(f"{published.year + shift:04d}", "date", True)
    if unit == "M":
        index = published.year * 12 + published.month - 1 + shift
        return Resolution(f"{index // 12:04d}-{index % 12 + 1:02d}", "date", True)
    year, week, _ = (published + dt.timedelta(weeks=shift)).isocalendar()
    return Resolution(f"{year}-W{week:02d}", "date", True)


def _dateparser(text: str, language: str) -> dt.date | None:
    import dateparser

    data = dateparser.date.DateDataParser(languages=[language]).get_date_data(text)
    if data is None or data.date_obj is None or data.period != "day":
        return None
    return data.date_obj.date()


__all__ = ["CYRILLIC", "CyrillicTimes"]
