"""Stage `time`: temporal expressions, normalised against the article's publication date (`analysis.times`).

Candidates are spaCy's DATE and TIME entities plus a scan for what the small model misses ("yesterday",
"on Monday", "three days later", "for months"). Values follow TIMEX3/ISO 8601 with EDTF's X for what
the text leaves open:

    2022-09-11   a day            XXXX-09-11   a day whose year the text does not give and no date anchors
    2022-08      a month          2022-W36     an ISO week          2022-SU   a season     199X  a decade
    P3D, PXM     durations (X: unspecified number, "for months")     P1W + type "set"   every week
    2022-09-10/2022-09-11   a range   T10:30  a time of day    PAST_REF, PRESENT_REF, FUTURE_REF

A year is never guessed: without a publication date "September 11th" stays XXXX-09-11 and "yesterday"
has no value. `anchored` is true when the value was computed from the publication date, directly or
through the expression it counts from ("three days later" counts from the last day mentioned before it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sourcetrace.analysis import Span, TimeExpression
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.time.calendar import Point, Resolution, closest_year
from sourcetrace.stages.time.cyrillic import CYRILLIC, CyrillicTimes

MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for name in names}
WEEKDAYS = {name: i for i, name in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a couple of": 2,
    "couple of": 2, "a couple": 2, "both": 2, "dozen": 12, "a dozen": 12,
}
VAGUE_NUMBERS = {"few", "a few", "several", "many", "some", "the past few", "the last few", "a number of", "dozens of",
                 "hundreds of", "multiple"}
UNITS = {"second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y",
         "decade": "DE", "century": "CE", "fortnight": "W"}
SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
_TIME_UNITS = {"S", "M_time", "H"}

_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(k) for k in NUMBERS), key=len, reverse=True)) + ")"
_VAGUE = "|".join(sorted((re.escape(k) for k in VAGUE_NUMBERS), key=len, reverse=True))
_UNIT = r"(?:second|minute|hour|day|week|fortnight|month|year|decade|century|centuries)s?"
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:" + "|".join(WEEKDAYS) + r")"
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:1[89]|20)\d\d)"

# Expressions the small NER misses, scanned in the text; group `x`, where present, is the expression.
_SCAN_PATTERNS = [
    re.compile(rf"\b(?:(?:last|next|this)\s+)?{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?\b", re.I),
    re.compile(r"\b(?:today|yesterday|tomorrow|tonight|last night|this (?:morning|afternoon|evening)"
               r"|the day before yesterday|the day after tomorrow)\b", re.I),
    re.compile(rf"\b(?:last|next|this|past|coming|previous)\s+(?:{_UNIT}|weekend|{'|'.join(SEASONS)})\b", re.I),
    re.compile(rf"\b(?:{_NUM}|{_VAGUE})[\s-]+{_UNIT}\s+(?:ago|later|earlier|before|after|from now)\b", re.I),
    re.compile(r"\bthe (?:next|following|previous) (?:day|week|month|year|morning)\b|\bthe day before\b", re.I),
    re.compile(rf"\b(?:for|over|during|within)\s+(?P<x>(?:(?:the\s+)?(?:past|last|next)\s+)?"
               rf"(?:{_NUM}\s+|{_VAGUE}\s+)?{_UNIT})\b", re.I),
    re.compile(rf"\b{_NUM}-{_UNIT.replace('s?', '')}\b", re.I),
    re.compile(r"\b(?:the\s+)?(?:1[89]|20)\d0'?s\b"),
]
# Words before a candidate that belong to the expression: "earlier in August", "for months".
_LEFT_MODIFIERS = re.compile(
    r"(?:\b(?:earlier|later|early|late|mid|in early|in late|in mid|the end of|the beginning of|the start of|"
    r"the middle of|since|until|by)\s+(?:in\s+|of\s+)?|\bmid-)$", re.I)
_LEFT_DURATION = re.compile(r"\b(?:for|over|during|within)\s+(?:the\s+(?:past|last|next)\s+)?$", re.I)


def _number(text: str) -> float | None:
    text = text.strip().lower()
    if text in NUMBERS:
        return NUMBERS[text]
    try:
        return float(text)
    except ValueError:
        return None


def _fmt_number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


_GRANULARITY = {"D": 0, "W": 1, "M": 2, "Y": 3, "DE": 4, "CE": 5}
def _unit_code(unit: str) -> str:
    unit = unit.lower().rstrip("s")
    if unit == "centurie":
        unit = "century"
    return UNITS.get(unit, "D")


def _duration(count: float | None, unit: str) -> str:
    code = _unit_code(unit)
    amount = "X" if count is None else _fmt_number(count * (2 if unit.lower().startswith("fortnight") else 1))
    if unit.lower().startswith(("hour", "minute", "second")):
        return f"PT{amount}{code}"
    return f"P{amount}{code}"


def _shift(anchor: Point, count: float, unit: str, sign: int) -> Resolution:
    """`count` units after (sign 1) or before (-1) the anchor; nothing finer than the anchor is ("three days
    after 2014" has no day)."""
    day, granularity = anchor
    code = _unit_code(unit)
    if _GRANULARITY.get(code, 0) < _GRANULARITY[granularity]:
        return Resolution(None)
    n = int(count) * sign
    if code == "D":
        shifted = day + dt.timedelta(days=n)
        return Resolution(shifted.isoformat(), "date", True, (shifted, "D"))
    if code == "W":
        shifted = day + dt.timedelta(weeks=n * (2 if unit.lower().startswith("fortnight") else 1))
        return Resolution(_week(shifted), "date", True)
    if code == "M":
        year, month = _add_months(day, n)
        return Resolution(f"{year:04d}-{month:02d}", "date", True, (dt.date(year, month, 1), "M"))
    if code == "Y":
        return Resolution(f"{day.year + n:04d}", "date", True, (dt.date(day.year + n, 1, 1), "Y"))
    if code == "DE":
        return Resolution(f"{(day.year + 10 * n) // 10}X", "date", True)
    return Resolution(None)


def normalise(text: str, published: dt.date | None, previous: Point | dt.date | None = None) -> Resolution:
    """The value of one temporal expression, given the publication date and the last date mentioned before it
    (a day, or a (date, "D"/"M"/"Y") pair), which "three days later" and "the next year" count from."""
    if isinstance(previous, dt.date):
        previous = (previous, "D")
    today: Point | None = (published, "D") if published is not None else None
    t = re.sub(r"\s+", " ", text.strip().lower().replace("\u2019", "'"))
    t = re.sub(r"^(?:the|on|in|at|since|until|by|from|of|during|throughout|as of)\s+", "", t)
    t = re.sub(r"^(?:earlier|later|early|late|mid|the end of|the beginning of|the start of|the middle of)"
               r"(?:\s+in|\s+of)?[\s-]+(?=\S)", "", t)
    t = re.sub(r"^(?:the|in|of)\s+", "", t)
    t = re.sub(r"^(?:a|an)\s+(?=\w+-)", "", t)  # "a three-day"
    t = re.sub(rf"^{_WEEKDAY},?\s+(?=\d|{_MONTH}\s+\d)", "", t)  # "Friday 3 September": the date says it all

    # --- relative to the publication date
    simple = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
              "yesterday": -1, "last night": -1, "tomorrow": 1, "day before yesterday": -2,
              "day after tomorrow": 2}
    if t in simple:
        if published is None:
            return Resolution(None)
        day = published + dt.timedelta(days=simple[t])
        suffix = {"tonight": "TNI", "last night": "TNI", "this morning": "TMO", "this afternoon": "TAF",
                  "this evening": "TEV"}.get(t)
        return Resolution(day.isoformat() + (suffix or ""), "time" if suffix else "date", True, (day, "D"))
    if t in ("now", "currently", "at present", "present", "nowadays", "these days"):
        return Resolution("PRESENT_REF")
    if t in ("recently", "recent years", "recent months", "recent weeks", "recent days", "the past", "past",
             "previously", "formerly", "once"):
        return Resolution("PAST_REF")
    if t in ("future", "the future", "soon", "coming years", "coming months", "coming weeks", "coming days"):
        return Resolution("FUTURE_REF")

    # N units ago / later / before / after / from now
    m = re.fullmatch(rf"({_NUM}|{_VAGUE})[\s-]+({_UNIT})\s+(ago|later|earlier|before|after|from now)", t)
    if m:
        count = _number(m.group(1))
        relative_to_text = m.group(3) in ("later", "earlier", "before", "after")
        if count is None and m.group(3) == "ago":
            return Resolution("PAST_REF")  # "many years ago"
        anchor = previous if relative_to_text else today
        if count is None or anchor is None:
            return Resolution(None)
        sign = -1 if m.group(3) in ("ago", "earlier", "before") else 1
        return _shift(anchor, count, m.group(2), sign)
    m = re.fullmatch(r"(next|following|previous) (day|week|month|year|morning)|day before", t)
    if m:
        if previous is None:
            return Resolution(None)
        if t == "day before":
            return _shift(previous, 1, "day", -1)
        return _shift(previous, 1, m.group(2) if m.group(2) != "morning" else "day",
                      -1 if m.group(1) == "previous" else 1)

    # last / this / next week, month, year, weekend, season
    m = re.fullmatch(rf"(last|this|next|past|coming|previous|current)\s+(week|month|year|weekend|"
                     rf"{'|'.join(SEASONS)})", t)
    if m:
        if published is None:
            return Resolution(None)
        step = {"last": -1, "past": -1, "previous": -1, "this": 0, "current": 0, "next": 1, "coming": 1}[m.group(1)]
        unit = m.group(2)
        if unit == "week":
            return Resolution(_week(published + dt.timedelta(weeks=step)), "date", True)
        if unit == "weekend":
            return Resolution(_week(published + dt.timedelta(weeks=step)) + "-WE", "date", True)
        if unit == "month":
            year, month = _add_months(published, step)
            return Resolution(f"{year:04d}-{month:02d}", "date", True)
        if unit == "year":
            return Resolution(f"{published.year + step:04d}", "date", True)
        return Resolution(f"{published.year + step:04d}-{SEASONS[unit]}", "date", True)

    # the past / last / next N units: a duration ending (or starting) at publication
    m = re.fullmatch(rf"(?:past|last|next|coming)\s+(?:({_NUM}|{_VAGUE})\s+)?({_UNIT})", t)
    if m and (m.group(1) or m.group(2).endswith("s")):
        return Resolution(_duration(_number(m.group(1)) if m.group(1) else None, m.group(2)), "duration")

    # weekdays: "Monday" in news is the most recent one (the publication day included)
    m = re.fullmatch(rf"(?:(last|next|this)\s+)?({_WEEKDAY})(?:\s+(morning|afternoon|evening|night))?", t)
    if m:
        weekday = WEEKDAYS[m.group(2)]
        if published is None:
            return Resolution(None)
        back = (published.weekday() - weekday) % 7
        if m.group(1) == "next":
            day = published + dt.timedelta(days=(weekday - published.weekday()) % 7 or 7)
        elif m.group(1) == "last":
            day = published - dt.timedelta(days=back or 7)
        else:
            day = published - dt.timedelta(days=back)
        part = {"morning": "TMO", "afternoon": "TAF", "evening": "TEV", "night": "TNI"}.get(m.group(3) or "")
        return Resolution(day.isoformat() + (part or ""), "time" if part else "date", True, (day, "D"))

    # --- calendar dates
    absolute = _calendar(t, published)
    if absolute is not None:
        return absolute

    # --- durations and sets
    m = re.fullmatch(rf"(?:(?:past|last|next)\s+)?(?:({_NUM}|{_VAGUE})[\s-]+|({_NUM})-)?({_UNIT})(?:\s+long)?", t)
    if m:
        if m.group(1) is None and m.group(2) is None and not m.group(3).endswith("s"):
            return Resolution(None, "other")  # "the day", "a year" on its own says nothing
        count_text = m.group(1) or m.group(2)
        return Resolution(_duration(_number(count_text) if count_text else None, m.group(3)), "duration")
    m = re.fullmatch(r"(?:every|each)\s+(day|week|month|year)|(daily|weekly|monthly|yearly|annually|annual)", t)
    if m:
        unit = m.group(1) or {"daily": "day", "weekly": "week", "monthly": "month"}.get(m.group(2), "year")
        return Resolution(_duration(1, unit), "set")
    m = re.fullmatch(r"(\d{1,2})(?::(\d\d))?\s*(a\.?m\.?|p\.?m\.?)?(?:\s+\w+)?", t)
    if m and (m.group(2) or m.group(3)):
        hour = int(m.group(1)) % 12 + (12 if m.group(3) and m.group(3).startswith("p") else 0) \
            if m.group(3) else int(m.group(1))
        return Resolution(f"T{hour:02d}:{m.group(2) or '00'}", "time")
    return _coarse(t, published)


def _coarse(t: str, published: dt.date | None) -> Resolution:
    """The month or year inside an expression we cannot read whole ("the first week of September" is at
    least September): coarser, never wrong."""
    m = re.search(rf"\b({_MONTH})(?:,?\s+{_YEAR})?\b", t)
    if m and m.group(1).rstrip(".") != "may":
        found = _calendar(m.group(0), published)
        if found is not None:
            return found
    m = re.search(rf"\b{_YEAR}\b", t)
    if m:
        return Resolution(m.group(1), "date", False, (dt.date(int(m.group(1)), 1, 1), "Y"))
    return Resolution(None, "other")


def _calendar(t: str, published: dt.date | None) -> Resolution | None:
    """Month names, days and years: full dates stand alone, partial ones take the year from the anchor."""
    def day_value(year: int | None, month: int, day: int | None) -> Resolution | None:
        if day is not None and not 1 <= day <= 31:
            return None
        anchored = False
        if year is None and published is not None:
            year = closest_year(published, month, day)
            anchored = True
        y = f"{year:04d}" if year is not None else "XXXX"
        if day is None:
            point = (dt.date(year, month, 1), "M") if year is not None else None
            return Resolution(f"{y}-{month:02d}", "date", anchored, point)
        try:
            exact = dt.date(year, month, day) if year is not None else None
        except ValueError:
            return None
        return Resolution(f"{y}-{month:02d}-{day:02d}", "date", anchored, (exact, "D") if exact else None)

    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", t)
    if m:
        return day_value(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    # September 10-11(, 2022): a range of days
    m = re.fullmatch(rf"({_MONTH})\s+{_ORD}\s*(?:-|–|to|and)\s*{_ORD}(?:,?\s+{_YEAR})?", t)
    if m:
        month = MONTHS[m.group(1).rstrip(".")]
        year = int(m.group(4)) if m.group(4) else None
        first, last = day_value(year, month, int(m.group(2))), day_value(year, month, int(m.group(3)))
        if first and last:
            return Resolution(f"{first.value}/{last.value}", "date", first.anchored, last.point)
    # September 11th(, 2022) | September 11th of 2022
    m = re.fullmatch(rf"({_MONTH})\s+{_ORD}(?:,?\s+(?:of\s+)?{_YEAR})?", t)
    if m:
        return day_value(int(m.group(3)) if m.group(3) else None, MONTHS[m.group(1).rstrip(".")], int(m.group(2)))
    # 11th (of) September( 2022)
    m = re.fullmatch(rf"{_ORD}\s+(?:of\s+)?({_MONTH}),?(?:\s+{_YEAR})?", t)
    if m:
        return day_value(int(m.group(3)) if m.group(3) else None, MONTHS[m.group(2).rstrip(".")], int(m.group(1)))
    # (last|next)? August( 2022)
    m = re.fullmatch(rf"(?:(last|this|next)\s+)?({_MONTH})(?:,?\s+(?:of\s+)?{_YEAR})?", t)
    if m:
        month = MONTHS[m.group(2).rstrip(".")]
        if m.group(3):
            return Resolution(f"{m.group(3)}-{month:02d}", "date")
        if m.group(1) and published is not None:
            year = published.year + {"last": -1, "this": 0, "next": 1}[m.group(1)]
            if m.group(1) == "last" and month < published.month:
                year += 1  # "last August" in September is this year's
            if m.group(1) == "next" and month > published.month:
                year -= 1
            return Resolution(f"{year:04d}-{month:02d}", "date", True)
        return day_value(None, month, None)
    # seasons: summer 2022 | (last) summer
    m = re.fullmatch(rf"({'|'.join(SEASONS)})(?:\s+(?:of\s+)?{_YEAR})?", t)
    if m:
        if m.group(2):
            return Resolution(f"{m.group(2)}-{SEASONS[m.group(1)]}", "date")
        if published is None:
            return Resolution(f"XXXX-{SEASONS[m.group(1)]}", "date")
        return Resolution(f"{published.year:04d}-{SEASONS[m.group(1)]}", "date", True)
    m = re.fullmatch(rf"(?:year\s+)?{_YEAR}", t)
    if m:
        return Resolution(m.group(1), "date", False, (dt.date(int(m.group(1)), 1, 1), "Y"))
    m = re.fullmatch(r"((?:1[89]|20)\d)0'?s", t)
    if m:
        return Resolution(f"{m.group(1)}X", "date")
    m = re.fullmatch(rf"{_YEAR}\s*(?:-|–|to)\s*{_YEAR}", t)
    if m:
        return Resolution(f"{m.group(1)}/{m.group(2)}", "date")
    if re.search(r"\b(?:1[89]|20)\d\d\b", t) and re.search(_MONTH, t):
        return _dateparser(t)
    return None


def _dateparser(text: str) -> Resolution | None:
    """Other spellings of a full date ("Sept. the 11th, 2022"); only with a year in the text, never a guessed one."""
    import dateparser

    data = dateparser.date.DateDataParser(languages=["en"]).get_date_data(text)
    if data is None or data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "day":
        return Resolution(day.isoformat(), "date", False, (day, "D"))
    if data.period == "month":
        return Resolution(f"{day.year:04d}-{day.month:02d}", "date")
    return Resolution(f"{day.year:04d}", "date")


class TimeNormaliser:
    """Finds temporal expressions and normalises them against the publication date."""

    name = "time"

    def __init__(self, settings: TimeSettings | Mapping[str, Any] | None = None) -> None:
        TimeSettings.of(settings, "time")
        self.cyrillic = {language: CyrillicTimes(language) for language in sorted(CYRILLIC)}

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            language = document.analysis.article.language
            if language in self.cyrillic:
                published = _published(document)
                document.analysis.times = self.cyrillic[language].expressions(document.text, published)
            else:
                document.analysis.times = self.expressions(document)

    def candidates(self, document: Document) -> list[tuple[int, int]]:
        text = document.text
        spans: list[tuple[int, int]] = []
        if document.doc is not None:
            spans = [(e.start_char, e.end_char) for e in document.doc.ents if e.label_ in ("DATE", "TIME")]
        for pattern in _SCAN_PATTERNS:
            for m in pattern.finditer(text):
                start, end = m.span("x") if "x" in pattern.groupindex else m.span()
                overlapping = [(s, e) for s, e in spans if s < end and start < e]
                if not overlapping:
                    spans.append((start, end))
                elif all(start <= s and e <= end for s, e in overlapping):
                    # the scan found a longer expression ("three days later" around NER's "three days")
                    spans = [span for span in spans if span not in overlapping] + [(start, end)]
        return sorted(set(spans))

    def expressions(self, document: Document) -> list[TimeExpression]:
        text = document.text
        published = _published(document)
        results: list[TimeExpression] = []
        previous: Point | None = None
        for start, end in self.candidates(document):
            resolution = normalise(text[start:end], published, previous)
            if resolution.value is None and resolution.type == "other":
                continue  # "the day", "annual": no time we can say anything about
            start = self._extend_left(text, start, resolution)
            if resolution.point is not None:
                previous = resolution.point
            results.append(TimeExpression(span=Span.of(text, start, end), value=resolution.value,
                                          type=resolution.type, anchored=resolution.anchored))
        return results

    @staticmethod
    def _extend_left(text: str, start: int, resolution: Resolution) -> int:
        before = text[max(0, start - 40):start]
        pattern = _LEFT_DURATION if resolution.type == "duration" else _LEFT_MODIFIERS
        m = pattern.search(before)
        return start - (len(before) - m.start()) if m else start


def _published(document: Document) -> dt.date | None:
    if document.analysis.article.published:
        try:
            return dt.date.fromisoformat(document.analysis.article.published[:10])
        except ValueError:
            return None
    return None


class TimeSettings(StageSettings):
    """The time stage has no options yet."""


@register_stage("time", requires=("backbone",), assigns=("times",), languages=ENGLISH | CYRILLIC,
                settings=TimeSettings)
def make_time(settings: TimeSettings) -> TimeNormaliser:
    return TimeNormaliser(settings)
