"""Quantities a sentence states, normalised: value or bounds, unit, kind, vagueness and direction.

Works on the spaCy parse of the article (`Document.doc`), token by token, so that every quantity's span is a
stretch of the article text. What it understands:

- numbers in digits ("1,200", "3.5", "4.2bn") and in words ("twenty-five", "two million", "a hundred");
- vague amounts: "dozens" (>= 12), "scores" (>= 20), "hundreds" (>= 100), "thousands" (>= 1,000),
  "tens of thousands" (>= 10,000), "millions" (>= 1,000,000): `vague` is true, `lower` holds the bound;
- bounds from the words before a number: "more than", "over", "at least" give `lower`; "less than",
  "up to", "nearly", "almost" give `upper` ("nearly" and "almost" also mark it vague); "about",
  "around", "some" keep the value and mark it vague; "between X and Y" gives both;
- kinds: `percent` ("5%", "five percent", "percentage points"), `money` ("$4.2 billion", "300 euros"),
  `ratio` ("two-fold", "three times more", "doubled", "tripled", "halved", "half of"), `duration`
  ("a three-day operation", "two weeks"), `measure` ("30 km", "5 tonnes"), `count` (a number and the
  noun it counts, "1,200 troops", "thousands of mercenaries": `unit` is that noun);
- direction: `increase` or `decrease` when the governing word says so ("has increased by more than
  two-fold", "fell by 3.5 percent", "a 5% rise", "tripled", "halved").

Dates, clock times, ordinals and years are left to the `time` stage: they are not quantities here.
`value` is the figure when the text states one exactly (or approximately, with `vague`); when the text
states only a bound ("more than two-fold") `value` is null and `lower`/`upper` carry the bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sourcetrace.analysis import Quantity, Span

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}
_SUFFIX_SCALES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000,
                  "tn": 1_000_000_000_000}
# "thousands of X": at least one of the scale, as a reader takes it ("thousands" -> >= 1,000).
_VAGUE_PLURALS = {"dozens": 12, "scores": 20, "hundreds": 100, "thousands": 1_000, "millions": 1_000_000,
                  "billions": 1_000_000_000, "tens": 10}
_MULTIPLIER_VERBS = {"double": (2.0, "increase"), "triple": (3.0, "increase"), "quadruple": (4.0, "increase"),
                     "quintuple": (5.0, "increase"), "treble": (3.0, "increase"), "halve": (0.5, "decrease")}
_FRACTIONS = {"half": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25}
_TIME_UNITS = {"second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week",
               "month": "month", "year": "year", "decade": "decade", "century": "century", "centurie": "century"}
_MEASURE_UNITS = {
    "km": "km", "kilometre": "km", "kilometer": "km", "mile": "mile", "metre": "m", "meter": "m", "m": "m",
    "cm": "cm", "mm": "mm", "kg": "kg", "kilogram": "kg", "kilo": "kg", "gram": "g", "g": "g", "ton": "tonne",
    "tonne": "tonne", "t": "tonne", "litre": "litre", "liter": "litre", "l": "litre", "barrel": "barrel",
    "hectare": "hectare", "ha": "hectare", "acre": "acre", "sq": "square", "square": "square", "km2": "km2",
    "mw": "MW", "gw": "GW", "kwh": "kWh", "twh": "TWh", "bcm": "bcm", "foot": "foot", "feet": "foot",
}
_CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₴": "UAH", "¥": "JPY"}
_CURRENCY_WORDS = {
    "dollar": "USD", "usd": "USD", "euro": "EUR", "eur": "EUR", "pound": "GBP", "gbp": "GBP", "ruble": "RUB",
    "rouble": "RUB", "rub": "RUB", "hryvnia": "UAH", "hryvnias": "UAH", "hryvnas": "UAH", "uah": "UAH",
    "yuan": "CNY", "renminbi": "CNY", "yen": "JPY", "franc": "CHF",
}
_LOWER_CUES = (("more", "than"), ("greater", "than"), ("over",), ("above",), ("at", "least"), ("upwards", "of"),
               ("in", "excess", "of"), ("no", "fewer", "than"), ("no", "less", "than"), ("exceeding",), ("beyond",))
_UPPER_CUES = (("less", "than"), ("fewer", "than"), ("under",), ("below",), ("up", "to"), ("at", "most"),
               ("no", "more", "than"), ("nearly",), ("almost",), ("just", "under"))
_APPROXIMATE_CUES = (("about",), ("around",), ("approximately",), ("roughly",), ("some",), ("an", "estimated"),
                     ("estimated",), ("almost",), ("nearly",), ("close", "to"), ("circa",))
_INCREASE = {"increase", "rise", "grow", "climb", "jump", "soar", "surge", "swell", "spike", "escalate",
             "expand", "gain", "boost", "raise", "double", "triple", "quadruple", "treble", "multiply", "skyrocket",
             "balloon", "growth", "hike"}
_DECREASE = {"decrease", "fall", "drop", "decline", "shrink", "plunge", "plummet", "reduce", "cut", "lower", "dip",
             "slump", "halve", "sink", "contract", "tumble", "slash", "slide", "reduction", "diminish"}
_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
_DIGITS_WITH_SCALE = re.compile(r"^(\d+(?:\.\d+)?)(k|m|mn|bn|b|tn)$", re.IGNORECASE)
_FOLD_WORD = re.compile(r"^([a-z]+|\d+(?:\.\d+)?)-?fold$", re.IGNORECASE)


@dataclass
class _Number:
    value: float
    start: int  # first token index
    end: int  # one past the last token index


def _word(token) -> str:  # noqa: ANN001
    return token.text.lower()


def _parse_word_number(tokens, i: int) -> _Number | None:  # noqa: ANN001
    """'twenty-five', 'two million', 'one hundred and twenty', 'a hundred'."""
    total, current, j, seen = 0.0, 0.0, i, False
    n = len(tokens)
    while j < n:
        word = _word(tokens[j])
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
            seen = True
        elif word in ("a", "an") and not seen and j + 1 < n and _word(tokens[j + 1]) in _SCALES:
            current = 1
        elif word in _SCALES and (seen or current):
            if word == "hundred":
                current = (current or 1) * 100
            else:
                total += (current or 1) * _SCALES[word]
                current = 0
            seen = True
        elif word == "-" and seen and j + 1 < n and (_word(tokens[j + 1]) in _UNITS):
            pass  # twenty-five
        elif word == "and" and seen and j + 1 < n and (_word(tokens[j + 1]) in _UNITS or _word(tokens[j + 1]) in
                                                       _TENS) and (total or current >= 100):
            pass  # one hundred and twenty
        else:
            break
        j += 1
    if not seen:
        return None
    return _Number(total + current, i, j)


def _parse_number(tokens, i: int) -> _Number | None:  # noqa: ANN001
    token = tokens[i]
    text = token.text
    if _DIGITS.match(text):
        value = float(text.replace(",", ""))
        j = i + 1
        if j < len(tokens) and _word(tokens[j]) in _SCALES:
            value *= _SCALES[_word(tokens[j])]
            j += 1
        return _Number(value, i, j)
    scaled = _DIGITS_WITH_SCALE.match(text)
    if scaled:
        return _Number(float(scaled.group(1)) * _SUFFIX_SCALES[scaled.group(2).lower()], i, i + 1)
    return _parse_word_number(tokens, i)


def _matches_before(tokens, i: int, cues: tuple[tuple[str, ...], ...], floor: int) -> int | None:  # noqa: ANN001
    """Index of the first token of a cue phrase that ends right before token i."""
    for cue in cues:
        start = i - len(cue)
        if start >= floor and tuple(_word(t) for t in tokens[start:i]) == cue:
            return start
    return None


def _direction(token) -> str | None:  # noqa: ANN001
    """Increase or decrease, from the words that govern the quantity (a few steps up the parse)."""
    for candidate in [token, *list(token.ancestors)[:3]]:
        lemma = candidate.lemma_.lower()
        if lemma in _INCREASE or candidate.text.lower() in _INCREASE:
            return "increase"
        if lemma in _DECREASE or candidate.text.lower() in _DECREASE:
            return "decrease"
    for child in token.head.children if token.head is not token else ():
        if child.lemma_.lower() in _INCREASE and child.i > token.i:
            return "increase"
        if child.lemma_.lower() in _DECREASE and child.i > token.i:
            return "decrease"
    return None


def _counted_noun(tokens, number: _Number) -> int | None:  # noqa: ANN001
    """The token index of the noun a number counts: '1,200 troops', 'thousands of mercenaries'."""
    last = tokens[number.end - 1]
    after = tokens[number.end] if number.end < len(tokens) else None
    if after is not None and _word(after) == "of" and number.end + 1 < len(tokens):
        for child in after.children:
            if child.dep_ == "pobj" and child.pos_ in ("NOUN", "PROPN"):
                return child.i - tokens[0].i
    if last.dep_ in ("nummod", "compound", "amod", "quantmod") and last.head.pos_ in ("NOUN", "PROPN") \
            and last.head.i > last.i:
        return last.head.i - tokens[0].i
    if after is not None and after.pos_ in ("NOUN", "PROPN") and after.ent_type_ not in ("DATE", "TIME"):
        return number.end
    return None


def find_quantities(doc, start_char: int, end_char: int, text: str) -> list[Quantity]:  # noqa: ANN001
    """The quantities stated in `doc` between two character offsets (tokens wholly inside)."""
    span = doc.char_span(start_char, end_char, alignment_mode="contract")
    if span is None or len(span) == 0:
        return []
    tokens = list(span)
    found: list[Quantity] = []
    i = 0
    while i < len(tokens):
        quantity, next_i = _quantity_at(tokens, i, text)
        if quantity is not None:
            found.append(quantity)
            i = max(next_i, i + 1)
        else:
            i += 1
    return found


def _span(text: str, tokens, first: int, last: int) -> Span:  # noqa: ANN001
    return Span.of(text, tokens[first].idx, tokens[last].idx + len(tokens[last].text))


def _quantity_at(tokens, i: int, text: str) -> tuple[Quantity | None, int]:  # noqa: ANN001, C901
    token = tokens[i]
    word = _word(token)
    n = len(tokens)

    # "doubled", "tripled", "halved" (verbs)
    if token.pos_ == "VERB" and token.lemma_.lower() in _MULTIPLIER_VERBS:
        factor, direction = _MULTIPLIER_VERBS[token.lemma_.lower()]
        first = i
        lower = upper = value = None
        cue = _matches_before(tokens, i, _LOWER_CUES, 0)
        if cue is not None:
            first, lower = cue, factor
        else:
            value = factor
        return Quantity(span=_span(text, tokens, first, i), value=value, lower=lower, upper=upper, kind="ratio",
                        direction=direction), i + 1

    # "twofold", "2-fold" as one token
    fold = _FOLD_WORD.match(token.text)
    if fold:
        prefix = fold.group(1).lower()
        factor = float(prefix) if prefix[0].isdigit() else _UNITS.get(prefix) or _TENS.get(prefix)
        if factor:
            return _ratio(tokens, i, i, float(factor), text), i + 1

    # vague amounts: "thousands of", "tens of thousands of", "dozens"
    if word in _VAGUE_PLURALS and token.pos_ in ("NOUN", "NUM") and not (word == "tens" and not (
            i + 2 < n and _word(tokens[i + 1]) == "of" and _word(tokens[i + 2]) in _VAGUE_PLURALS)):
        last, bound = i, float(_VAGUE_PLURALS[word])
        if i + 2 < n and _word(tokens[i + 1]) == "of" and _word(tokens[i + 2]) in _VAGUE_PLURALS:
            last, bound = i + 2, bound * _VAGUE_PLURALS[_word(tokens[i + 2])]  # tens/hundreds of thousands
        number = _Number(bound, i, last + 1)
        noun = _counted_noun(tokens, number)
        unit = tokens[noun].text.lower() if noun is not None else None
        end = noun if noun is not None and noun <= last + 2 else last
        return Quantity(span=_span(text, tokens, i, end), lower=bound, unit=unit, kind="count", vague=True,
                        direction=_direction(token)), end + 1

    could_start = token.like_num or word in _UNITS or word in _TENS or word in ("a", "an") or \
        word in _FRACTIONS or word in _CURRENCY_SYMBOLS or _DIGITS_WITH_SCALE.match(token.text) is not None
    if token.ent_type_ in ("ORDINAL", "TIME") or not could_start:
        return None, i + 1

    # fractions: "half of", "a third of", "two-thirds"
    if word in _FRACTIONS and (i + 1 < n and _word(tokens[i + 1]) == "of"):
        first = i - 1 if i > 0 and _word(tokens[i - 1]) in ("a", "one") else i
        return _with_bounds(tokens, first, i, text, Quantity(
            span=_span(text, tokens, first, i), value=_FRACTIONS[word], kind="ratio", direction=_direction(token)))

    # money with the symbol before the number: "$4.2 billion"
    currency = None
    number_at = i
    if word in _CURRENCY_SYMBOLS and i + 1 < n:
        currency, number_at = _CURRENCY_SYMBOLS[word], i + 1
    number = _parse_number(tokens, number_at)
    if number is None:
        return None, i + 1
    first = i
    after = number.end
    # a bare "one" or "a" is a pronoun or an article, not a quantity
    if number.end - number.start == 1 and word in ("one", "a", "an") and currency is None:
        return None, i + 1
    number_token = tokens[number.end - 1]
    if currency is None and number_token.ent_type_ == "DATE" and not _is_duration(tokens, after):
        return None, after  # a year or a date: the time stage's
    if currency is None and re.fullmatch(r"(1[6-9]|20)\d\d", token.text) and not _is_duration(tokens, after):
        return None, after  # a bare year

    next_word = _word(tokens[after]) if after < n else ""
    if i > 0 and _word(tokens[i - 1]) == "between" and next_word == "and":
        return None, after  # the lower end of "between X and Y": read with Y
    if currency is None and next_word == "-" and after + 1 < n:
        hyphenated = _word(tokens[after + 1])  # "two-fold", "three-day"
        if hyphenated == "fold":
            return _ratio(tokens, first, after + 1, number.value, text), after + 2
        if _singular(hyphenated) in _TIME_UNITS:
            return _with_bounds(tokens, first, after + 1, text, Quantity(
                span=_span(text, tokens, first, after + 1), value=number.value, kind="duration",
                unit=_TIME_UNITS[_singular(hyphenated)], direction=None))
    if currency is None and next_word == "fold":
        return _ratio(tokens, first, after, number.value, text), after + 1
    if currency is None and next_word == "times" and after + 1 < n and _word(tokens[after + 1]) in (
            "more", "higher", "larger", "greater", "bigger", "as", "less", "fewer", "lower", "smaller", "over"):
        return _ratio(tokens, first, after, number.value, text), after + 1
    if currency is None and (next_word in ("%", "percent", "pct") or (
            next_word == "per" and after + 1 < n and _word(tokens[after + 1]) == "cent")):
        last = after + 1 if next_word == "per" else after
        unit = "percent"
        if last + 1 < n and _word(tokens[last + 1]) in ("point", "points") and next_word != "%":
            last, unit = last + 1, "percentage points"
        elif next_word == "percentage" and after + 1 < n and _word(tokens[after + 1]) in ("point", "points"):
            last, unit = after + 1, "percentage points"
        return _with_bounds(tokens, first, last, text, Quantity(
            span=_span(text, tokens, first, last), value=number.value, unit=unit, kind="percent",
            direction=_direction(number_token)))
    if currency is None and next_word == "percentage" and after + 1 < n and _word(tokens[after + 1]) in (
            "point", "points"):
        return _with_bounds(tokens, first, after + 1, text, Quantity(
            span=_span(text, tokens, first, after + 1), value=number.value, unit="percentage points",
            kind="percent", direction=_direction(number_token)))
    last = number.end - 1
    if currency is None and after < n and _singular(next_word) in _CURRENCY_WORDS:
        currency, last = _CURRENCY_WORDS[_singular(next_word)], after
    if currency is not None:
        return _with_bounds(tokens, first, last, text, Quantity(
            span=_span(text, tokens, first, last), value=number.value, unit=currency, kind="money",
            direction=_direction(number_token)))
    if _is_duration(tokens, after):
        unit = _TIME_UNITS[_singular(next_word)]
        if after + 1 < n and _word(tokens[after + 1]) in ("ago", "old", "later", "earlier", "before", "after"):
            return None, after + 2  # a point in time or an age, the time stage's
        return _with_bounds(tokens, first, after, text, Quantity(
            span=_span(text, tokens, first, after), value=number.value, unit=unit, kind="duration"))
    measure = _MEASURE_UNITS.get(_singular(next_word)) if after < n else None
    if measure is not None and (tokens[after].ent_type_ == "QUANTITY" or number_token.ent_type_ == "QUANTITY" or
                                len(next_word) > 2):
        return _with_bounds(tokens, first, after, text, Quantity(
            span=_span(text, tokens, first, after), value=number.value, unit=measure, kind="measure",
            direction=_direction(number_token)))
    noun = _counted_noun(tokens, number)
    if noun is None and number.value == 1:
        return None, after
    if noun is None and number_token.pos_ != "NUM" and not _DIGITS.match(number_token.text):
        return None, after
    end = noun if noun is not None and noun <= after + 2 and noun >= after else last
    unit = tokens[noun].text.lower() if noun is not None else None
    return _with_bounds(tokens, first, end, text, Quantity(
        span=_span(text, tokens, first, end), value=number.value, unit=unit, kind="count",
        direction=_direction(number_token)))


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


def _is_duration(tokens, after: int) -> bool:  # noqa: ANN001
    """A time unit follows: 'two weeks', 'three-day'."""
    if after + 1 < len(tokens) and _word(tokens[after]) == "-":
        after += 1
    return after < len(tokens) and _singular(_word(tokens[after])) in _TIME_UNITS


def _ratio(tokens, first: int, last: int, factor: float, text: str) -> Quantity:  # noqa: ANN001
    # the parse may hang "fold" on another verb than the number ("increased by two - fold"): ask each word
    direction = next((d for d in (_direction(t) for t in tokens[first : last + 1]) if d), None)
    quantity = Quantity(span=_span(text, tokens, first, last), value=factor, kind="ratio", direction=direction)
    bounded, _ = _with_bounds(tokens, first, last, text, quantity)
    return bounded


def _with_bounds(tokens, first: int, last: int, text: str, quantity: Quantity) -> tuple[Quantity, int]:  # noqa: ANN001
    """Read 'more than', 'up to', 'about', 'between X and' before the number; widen the span to cover them."""
    stated = quantity.value
    cue = _matches_before(tokens, first, _LOWER_CUES, 0)
    if cue is not None:
        quantity.lower, quantity.value, first = stated, None, cue
    else:
        cue = _matches_before(tokens, first, _UPPER_CUES, 0)
        if cue is not None:
            quantity.upper, quantity.value, first = stated, None, cue
            quantity.vague = _word(tokens[cue]) in ("nearly", "almost")
        else:
            cue = _matches_before(tokens, first, _APPROXIMATE_CUES, 0)
            if cue is not None:
                quantity.vague, first = True, cue
    # "between 10 and 20 people": the first number is the lower bound of the second
    if first >= 3 and _word(tokens[first - 1]) == "and":
        earlier = None
        for start in range(max(0, first - 4), first - 1):
            if _word(tokens[start]) == "between":
                earlier = _parse_number(tokens, start + 1)
                if earlier is not None and earlier.end == first - 1:
                    quantity.lower, quantity.upper, quantity.value = earlier.value, stated, None
                    first = start
                break
    quantity.span = _span(text, tokens, first, _last_index(tokens, quantity.span.end))
    return quantity, _last_index(tokens, quantity.span.end) + 1


def _last_index(tokens, end_char: int) -> int:  # noqa: ANN001
    for index in range(len(tokens) - 1, -1, -1):
        if tokens[index].idx < end_char:
            return index
    return 0


# --- Russian and Ukrainian ------------------------------------------------------------------------------------
# Found on the text with patterns (no token rules: the Cyrillic backbones have no English tags): a number in
# digits ("1 200", "3,5"), a scale word ("тыс.", "млн", "мільярдів"), then a unit: percent, a currency, a
# measure, or the noun it counts. Bounds and vagueness from the words before it. A year or a day of the month
# is left to the time stage.
_CYRILLIC_SCALES = (
    (r"тыс(?:\.|яч[аи]?)?|тис(?:\.|яч[аі]?)?", 1_000), (r"млн\.?|миллион(?:а|ов)?|мільйон(?:а|ів)?", 1_000_000),
    (r"млрд\.?|миллиард(?:а|ов)?|мільярд(?:а|ів)?", 1_000_000_000), (r"трлн\.?|триллион(?:а|ов)?|трильйон(?:а|ів)?",
                                                                   1_000_000_000_000),
)
_CYRILLIC_UNITS = (
    ("percent", "percent", r"%|процент(?:а|ов)?|проц\.|відсот(?:ок|ки|ків|ка)|п\.\s?п\."),
    ("money", "RUB", r"руб(?:\.|л(?:ь|я|ей))?|₽"), ("money", "USD", r"долл(?:\.|ар(?:а|ов)?)|доларів|долар(?:а|и)?|\$"),
    ("money", "EUR", r"евро|євро|€"), ("money", "UAH", r"грив(?:ен|ень|ня|ні|н\.|\.)|грн\.?|₴"),
    ("measure", "km", r"км|километр(?:а|ов)?|кілометр(?:а|ів)?"), ("measure", "t", r"тонн(?:а|ы)?|т\.|тонн|тон"),
    ("measure", "ha", r"га|гектар(?:а|ов|ів)?"),
    ("duration", "day", r"д(?:ень|ня|ней|нів|ні)|сут(?:ок|ки)|доб(?:а|и)"),
    ("duration", "month", r"месяц(?:а|ев)?|місяц(?:ь|я|і|ів)"), ("duration", "year", r"лет|рок(?:и|ів)"),
    ("duration", "hour", r"час(?:а|ов)?|годин(?:а|и)?"),
)
_CYRILLIC_LOWER = r"более|свыше|больше|не менее|не меньше|по меньшей мере|как минимум|понад|більше|щонайменше|не менше"
_CYRILLIC_UPPER = r"менее|меньше|до|не более|не больше|почти|менше|майже|не більше|максимум"
_CYRILLIC_ABOUT = r"около|примерно|порядка|приблизительно|приблизно|близько|орієнтовно"
_CYRILLIC_NUMBER = re.compile(
    rf"(?:(?P<cue>{_CYRILLIC_LOWER}|{_CYRILLIC_UPPER}|{_CYRILLIC_ABOUT})\s+)?"
    r"(?P<number>\d{1,3}(?:[  ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?P<scale>" + "|".join(p for p, _ in _CYRILLIC_SCALES) + r")(?![\w]))?"
    r"(?:\s*(?P<unit>" + "|".join(p for _, _, p in _CYRILLIC_UNITS) + r")(?![\w]))?"
    r"(?:\s+(?P<noun>[а-яёіїєґ'’]{3,}))?",
    re.IGNORECASE,
)
_CYRILLIC_NOT_QUANTITY = re.compile(
    r"^\s*(?:год[ау]?|году|г\.|рок[уи]?|році|р\.|январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|"
    r"ноябр|декабр|січн|лют|березн|квітн|травн|червн|липн|серпн|вересн|жовтн|листопад|грудн)", re.IGNORECASE)


def find_cyrillic_quantities(text: str, start_char: int, end_char: int) -> list[Quantity]:
    """The quantities stated in a Russian or Ukrainian text between two character offsets."""
    found: list[Quantity] = []
    for match in _CYRILLIC_NUMBER.finditer(text, start_char, end_char):
        number_text = match.group("number")
        after = text[match.end("number"):match.end("number") + 12]
        if _CYRILLIC_NOT_QUANTITY.match(after) and not match.group("scale") and not match.group("unit"):
            continue  # a date or a year
        if re.fullmatch(r"(?:19|20)\d\d", number_text) and not (match.group("scale") or match.group("unit")):
            continue
        value = float(re.sub(r"[  ]", "", number_text).replace(",", "."))
        if match.group("scale"):
            value *= next(factor for pattern, factor in _CYRILLIC_SCALES
                          if re.fullmatch(pattern, match.group("scale"), re.IGNORECASE))
        kind, unit = "count", None
        end = match.end("scale") if match.group("scale") else match.end("number")
        if match.group("unit"):
            kind, unit = next((k, u) for k, u, pattern in _CYRILLIC_UNITS
                              if re.fullmatch(pattern, match.group("unit"), re.IGNORECASE))
            end = match.end("unit")
        elif match.group("noun"):
            unit = match.group("noun").lower()
            end = match.end("noun")
        quantity = Quantity(span=Span.of(text, match.start("cue") if match.group("cue") else match.start("number"),
                                         end), value=value, unit=unit, kind=kind)
        cue = (match.group("cue") or "").lower()
        if cue and re.fullmatch(_CYRILLIC_LOWER, cue):
            quantity.lower, quantity.value = value, None
        elif cue and re.fullmatch(_CYRILLIC_UPPER, cue):
            quantity.upper, quantity.value = value, None
            quantity.vague = cue in ("почти", "майже")
        elif cue:
            quantity.vague = True
        found.append(quantity)
    return found
