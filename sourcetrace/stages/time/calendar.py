"""Calendar helpers shared by the time stage's languages: the resolution of an expression and the year of a
month(-day) given without one."""

from __future__ import annotations

import datetime as dt


def closest_year(anchor: dt.date, month: int, day: int | None) -> int:
    """The year of a month(-day) the text gives without one: news looks back, so the latest one on or before
    the anchor, unless the next one is at most ~3 months ahead ("the referendum on November 4")."""
    def when(year: int) -> dt.date:
        if day is None:
            return dt.date(year, month, 1)
        try:
            return dt.date(year, month, day)
        except ValueError:  # February 29 in a common year
            return dt.date(year, month, 28)

    this_year = when(anchor.year)
    if day is None:
        months_ahead = (month - anchor.month) % 12
        if months_ahead == 0:
            return anchor.year
        return anchor.year + (month < anchor.month) if months_ahead <= 3 else anchor.year - (month > anchor.month)
    if this_year <= anchor:
        past, future = this_year, when(anchor.year + 1)
    else:
        past, future = when(anchor.year - 1), this_year
    return future.year if (future - anchor).days <= 92 else past.year


Point = tuple[dt.date, str]  # a date and how precise it is: D (day), M (month) or Y (year)


class Resolution:
    __slots__ = ("value", "type", "anchored", "point")

    def __init__(self, value: str | None, type_: str = "date", anchored: bool = False, point: Point | None = None):
        self.value = value
        self.type = type_
        self.anchored = anchored
        self.point = point  # the day, month or year it names: later "three days later" counts from it
