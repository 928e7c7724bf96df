"""spaCy's attribute ruler and rule lemmatizer, applied through tables keyed by what their rules read.

Both components set the same attributes as spaCy's own, from spaCy's own rules and tables; they differ in how:
spaCy's `AttributeRuler` runs a general `Matcher` over every token and `Lemmatizer` builds a Python `Token` for
every token, which together cost about a tenth of the English parse. Every rule of the ruler reads only a
token's TAG, LOWER, DEP and IS_SPACE (and its neighbour's, for two-token patterns), and the rule lemmatizer's
answer depends only on a token's ORTH, POS and MORPH, so each distinct combination is worked out once per
process and looked up after that. `tests/pipeline/test_table_annotators.py` checks the result attribute by
attribute against the spaCy components over real articles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG
from spacy.language import Language
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.tokens import Doc

# The token attributes a ruler pattern may test here, in the order of the key columns.
_READ = ("TAG", "LOWER", "DEP", "IS_SPACE")
_READ_IDS = [TAG, LOWER, DEP, IS_SPACE]
# The attributes a ruler rule may set, in the order of the written columns.
_WRITE_IDS = [POS, TAG, MORPH, LEMMA, DEP]

# A corpus's vocabulary has no end: a table keyed by words is emptied when it holds this many of them.
_MAX_REMEMBERED = 200_000

Predicate = Callable[[tuple[int, int, int, int]], bool]


class UnsupportedRule(ValueError):
    """A ruler pattern uses an attribute or operator these tables do not read; the caller keeps spaCy's."""


class _LowerUse:
    """What the rules ask of LOWER. When they only ask for named words or regular expressions that the empty
    string fails, every other word can share one key (0), which keeps the tables as small as the rules."""

    def __init__(self) -> None:
        self.named: set[int] = set()
        self.patterns: list[re.Pattern[str]] = []
        self.reducible = True


def _value_test(vocab: Any, column: int, spec: Any, lowers: _LowerUse) -> Callable[[tuple[int, int, int, int]], bool]:
    strings = vocab.strings
    if column == 3:  # IS_SPACE: a boolean
        if not isinstance(spec, bool):
            raise UnsupportedRule(f"IS_SPACE {spec!r}")
        wanted = int(spec)
        return lambda key: key[3] == wanted
    if isinstance(spec, str):
        value = strings.add(spec) if spec else 0
        if column == 1:
            lowers.named.add(value)
            lowers.reducible &= value != 0
        return lambda key: key[column] == value
    if isinstance(spec, dict) and len(spec) == 1:
        (operator, argument), = spec.items()
        if operator in ("IN", "NOT_IN") and isinstance(argument, list):
            values = frozenset(strings.add(item) if item else 0 for item in argument)
            if column == 1:
                lowers.named |= values
                lowers.reducible &= operator == "IN" and 0 not in values
            if operator == "IN":
                return lambda key: key[column] in values
            return lambda key: key[column] not in values
        if operator == "REGEX" and isinstance(argument, str):
            pattern = re.compile(argument)
            if column == 1:
                lowers.patterns.append(pattern)
                lowers.reducible &= not pattern.search("")
            return lambda key: bool(pattern.search(strings[key[column]] if key[column] else ""))
    raise UnsupportedRule(f"{_READ[column]} {spec!r}")


def _token_test(vocab: Any, token_spec: dict[str, Any], lowers: _LowerUse) -> Predicate:
    tests = []
    for name, spec in token_spec.items():
        if name not in _READ:
            raise UnsupportedRule(name)
        tests.append(_value_test(vocab, _READ.index(name), spec, lowers))
    return lambda key: all(test(key) for test in tests)


class TableAttributeRuler:
    """The rules of a fitted spaCy `AttributeRuler`, applied with spaCy's precedence: every match is found on the
    tokens as they came in, then rules are applied in rule order, so a later rule's attribute wins."""

    def __init__(self, ruler: AttributeRuler) -> None:
        self.vocab = ruler.vocab
        # one entry per (rule, pattern): rule number, token tests, index of the token that receives the attrs
        self.single: list[tuple[int, Predicate]] = []
        self.multi: list[tuple[int, list[Predicate], int]] = []
        self.attrs: list[dict[int, int]] = []
        self.lowers = _LowerUse()
        for number in range(len(ruler.attrs)):
            attrs = dict(ruler.attrs[number])
            if not set(attrs) <= set(_WRITE_IDS):
                raise UnsupportedRule(f"rule {number} sets {sorted(attrs)}")
            self.attrs.append(attrs)
            index = ruler.indices[number]
            for pattern in ruler.matcher.get(str(number))[1]:
                tests = [_token_test(self.vocab, token_spec, self.lowers) for token_spec in pattern]
                if len(tests) == 1:
                    if index not in (0, -1):
                        raise UnsupportedRule(f"rule {number} index {index}")
                    self.single.append((number, tests[0]))
                else:
                    self.multi.append((number, tests, index if index >= 0 else len(tests) + index))
        # (tag, lower, dep, is_space) -> the single-token rules it matches, and which (multi pattern, position)
        self._matches: dict[tuple[int, int, int, int], tuple[tuple[int, ...], frozenset[tuple[int, int]]]] = {}
        # a tuple of rule numbers -> the number of the attributes they leave, applied in order: row `number` of
        # `_values` holds the attributes' values (columns of _WRITE_IDS) where `_written` is true
        self._fold_numbers: dict[tuple[int, ...], int] = {}
        self._values = np.zeros((0, len(_WRITE_IDS)), dtype=np.uint64)
        self._written = np.zeros((0, len(_WRITE_IDS)), dtype=bool)
        # a word's LOWER -> the LOWER its key carries (itself, or 0 when no rule can tell it from any other word)
        self._key_lower: dict[int, int] = {}

    def _reduced(self, lower: int) -> int:
        if not self.lowers.reducible or lower in self.lowers.named:
            reduced = lower
        else:
            text = self.vocab.strings[lower] if lower else ""
            reduced = lower if any(pattern.search(text) for pattern in self.lowers.patterns) else 0
        if len(self._key_lower) >= _MAX_REMEMBERED:  # a corpus's vocabulary has no end; the rules' has
            self._key_lower.clear()
        self._key_lower[lower] = reduced
        return reduced

    def _match(self, key: tuple[int, int, int, int]) -> tuple[tuple[int, ...], frozenset[tuple[int, int]]]:
        rules = tuple(number for number, test in self.single if test(key))
        positions = frozenset((which, position) for which, (_, tests, _) in enumerate(self.multi)
                              for position, test in enumerate(tests) if test(key))
        found = self._matches[key] = (rules, positions)
        return found

    def _fold(self, rules: tuple[int, ...]) -> int:
        number = self._fold_numbers.get(rules)
        if number is None:
            values = np.zeros((1, len(_WRITE_IDS)), dtype=np.uint64)
            written = np.zeros((1, len(_WRITE_IDS)), dtype=bool)
            for rule in sorted(rules):
                for attr, value in self.attrs[rule].items():
                    if attr == MORPH and value:
                        # spaCy adds a morph string to the morphology table when it sets it; so does this
                        self.vocab.morphology.add(self.vocab.strings[value])
                    values[0, _WRITE_IDS.index(attr)] = value
                    written[0, _WRITE_IDS.index(attr)] = True
            number = self._fold_numbers[rules] = len(self._values)
            self._values = np.vstack([self._values, values])
            self._written = np.vstack([self._written, written])
        return number

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        key_lower, matched = self._key_lower.get, self._matches.get
        matches = []
        for tag, lower, dep, space in doc.to_array(_READ_IDS).tolist():
            reduced = key_lower(lower)
            key = (tag, self._reduced(lower) if reduced is None else reduced, dep, space)
            matches.append(matched(key) or self._match(key))
        extra: dict[int, list[int]] = {}
        if self.multi:
            for start, (_, positions) in enumerate(matches):
                if not positions:
                    continue
                for which, (number, tests, index) in enumerate(self.multi):
                    if (which, 0) not in positions or start + len(tests) > len(doc):
                        continue
                    if all((which, offset) in matches[start + offset][1] for offset in range(1, len(tests))):
                        extra.setdefault(start + index, []).append(number)
        fold_numbers, fold = self._fold_numbers.get, self._fold
        folds = []
        for rules, _ in matches:
            number = fold_numbers(rules)
            folds.append(fold(rules) if number is None else number)
        for position, numbers in extra.items():
            folds[position] = fold(tuple(sorted(set(matches[position][0]) | set(numbers))))
        chosen = np.array(folds, dtype=np.int64)
        columns = doc.to_array(_WRITE_IDS)
        written = self._written[chosen]
        columns[written] = self._values[chosen][written]
        doc.from_array(_WRITE_IDS, columns)
        return doc


class TableLemmatizer:
    """A spaCy rule `Lemmatizer` whose answers are kept per (ORTH, POS, MORPH), the three things they depend on."""

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        if lemmatizer.mode != "rule":
            raise UnsupportedRule(f"lemmatizer mode {lemmatizer.mode!r}")
        self.lemmatizer = lemmatizer
        self.overwrite = bool(lemmatizer.overwrite)
        self._lemmas: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        columns = doc.to_array([ORTH, POS, MORPH, LEMMA])
        strings = doc.vocab.strings
        changed = False
        for position, (orth, pos, morph, lemma) in enumerate(columns.tolist()):
            if lemma and not self.overwrite:
                continue
            key = (orth, pos, morph)
            value = self._lemmas.get(key)
            if value is None:
                if len(self._lemmas) >= _MAX_REMEMBERED:
                    self._lemmas.clear()
                value = self._lemmas[key] = strings.add(self.lemmatizer.lemmatize(doc[position])[0])
            columns[position, 3] = value
            changed = True
        if changed:
            doc.from_array([LEMMA], np.ascontiguousarray(columns[:, 3:4]))
        return doc


# spaCy's component -> the factory of its table form
_TABLES = {"attribute_ruler": "sourcetrace_attribute_table", "lemmatizer": "sourcetrace_lemma_table"}


@Language.factory("sourcetrace_attribute_table")
def make_attribute_table(nlp: Language, name: str) -> TableAttributeRuler:
    return TableAttributeRuler(nlp.get_pipe("attribute_ruler"))


@Language.factory("sourcetrace_lemma_table")
def make_lemma_table(nlp: Language, name: str) -> TableLemmatizer:
    return TableLemmatizer(nlp.get_pipe("lemmatizer"))


def use_tables(nlp: Language) -> list[str]:
    """Run the table form of spaCy's attribute ruler and lemmatizer in their place (the originals stay loaded,
    disabled, as the tables' source); returns the names replaced. A component whose rules the tables cannot
    read stays as it is."""
    replaced = []
    for name, factory in _TABLES.items():
        if name not in nlp.pipe_names:
            continue
        try:  # the factory builds the table once; spaCy adds the component only if it was built
            nlp.add_pipe(factory, name=factory, after=name)
        except (UnsupportedRule, AttributeError):
            continue
        nlp.disable_pipe(name)
        replaced.append(name)
    return replaced
