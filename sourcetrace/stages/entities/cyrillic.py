"""Russian and Ukrainian names of gazetteer entries (`cyrillic_names.yaml`), matched in every inflected form.

Each name is expanded with pymorphy3 into its six cases (the words of the name in the nominative are
inflected together; the others, "России" in "Минобороны России", stay as written), and matched on the lower-
cased tokens of the article's backbone, as the English names are. In a Ukrainian text a Russian name is a
spelling variant and in a Russian text a Ukrainian one (`EntityVariant.origin` "Russian spelling" /
"Ukrainian spelling"); the article's own language's name is not a variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sourcetrace._yaml import load_yaml
from sourcetrace.analysis import EntityVariant
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC, load_cyrillic

NAMES_FILE = Path(__file__).resolve().parent / "cyrillic_names.yaml"
_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_NAME_GRAMMEMES = {"Geox", "Surn", "Name", "Patr", "Orgn"}
_ORIGIN = {"ru": "Russian spelling", "uk": "Ukrainian spelling"}


@dataclass(frozen=True)
class CyrillicMatch:
    start: int
    end: int
    entry: str  # the gazetteer entry's key
    text: str  # the name form as listed
    variant: EntityVariant | None


def read_names(path: Path = NAMES_FILE) -> dict[str, dict[str, list[str]]]:
    data = load_yaml(path) or {}
    return {name: {language: [str(form) for form in forms] for language, forms in languages.items()}
            for name, languages in (data.get("names") or {}).items()}


def inflections(name: str, analyzer: Any, person: bool = False) -> set[str]:
    """`name` in each of the six cases. The words that inflect are the agreeing adjectives and the head noun at
    the start ("Кривой Рог", "Вооружённые силы" of "Вооружённые силы Украины"), or every word of a person's
    name; the rest ("России" in "Минобороны России") and abbreviations (РФ, НАТО) stay as written."""
    words = name.split()
    chosen: list[Any] = []
    for word in words:
        candidates = [p for p in analyzer.parse(word) if p.tag.case == "nomn"]
        named = [p for p in candidates if set(p.tag.grammemes) & _NAME_GRAMMEMES]
        nouns = [p for p in candidates if p.tag.POS == "NOUN"]
        pick = (named or nouns or candidates or [None])[0]
        if word.isupper() or not any(ch.isalpha() for ch in word) or word.startswith(("«", "\"")):
            pick = None
        chosen.append(pick)
    if not person:  # inflect up to and including the first noun
        head = next((i for i, p in enumerate(chosen) if p is not None and p.tag.POS == "NOUN"), len(chosen) - 1)
        chosen = [p if i <= head and (p is None or p.tag.POS in ("NOUN", "ADJF", "PRTF")) else None
                  for i, p in enumerate(chosen)]
    forms = {name}
    for case in _CASES:
        out = []
        for word, parse in zip(words, chosen):
            wanted = {case, parse.tag.number} if parse is not None and parse.tag.number else {case}
            inflected = parse.inflect(wanted) if parse is not None else None
            out.append(_same_case(word, inflected.word) if inflected is not None else word)
        forms.add(" ".join(out))
    return forms


def _same_case(model: str, word: str) -> str:
    if model.isupper():
        return word.upper()
    if model[:1].isupper():
        return "-".join(part[:1].upper() + part[1:] for part in word.split("-")) if "-" in model else (
            word[:1].upper() + word[1:])
    return word


class CyrillicNames:
    """The Russian and Ukrainian name matchers, built on the first article in each language."""

    def __init__(self, entry_of_name: dict[str, tuple[str, str]], path: Path = NAMES_FILE) -> None:
        self.entry_of_name = entry_of_name  # canonical name -> (entry key, entry type)
        self.names = {name: forms for name, forms in read_names(path).items() if name in entry_of_name}
        self._matchers: dict[str, tuple[Any, dict[str, tuple[str, str, EntityVariant | None]]]] = {}

    def _matcher(self, language: str) -> tuple[Any, dict[str, tuple[str, str, EntityVariant | None]]]:
        if language in self._matchers:
            return self._matchers[language]
        from razdel import tokenize
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        backbone = load_cyrillic(language)
        matcher = PhraseMatcher(backbone.vocab, attr="LOWER")
        forms: dict[str, tuple[str, str, EntityVariant | None]] = {}  # lower-cased form -> entry, listed, variant
        for name, by_language in self.names.items():
            key, entry_type = self.entry_of_name[name]
            own = by_language.get(language, [])
            for other in sorted(CYRILLIC):
                for listed in by_language.get(other, []):
                    if other != language and listed in own:
                        continue
                    variant = None if other == language else EntityVariant(
                        canonical=own[0] if own else name, variant=listed, origin=_ORIGIN[other])
                    analyzer = load_cyrillic(other).morph_analyzer
                    for form in sorted(inflections(listed, analyzer, person=entry_type == "person")):
                        if form.lower() in forms and variant is not None:
                            continue  # the article's own language's reading of a form comes first
                        forms[form.lower()] = (key, listed, variant if variant is None else EntityVariant(
                            canonical=variant.canonical, variant=form, origin=variant.origin))
        for form in forms:
            words = [t.text for t in tokenize(form)]
            matcher.add(form, [Doc(backbone.vocab, words=words)])
        self._matchers[language] = (matcher, forms)
        return matcher, forms

    def matches(self, doc: Any, language: str) -> list[CyrillicMatch]:
        """Longest, leftmost non-overlapping name matches in a parsed article of `language`."""
        if language not in CYRILLIC or not self.names:
            return []
        matcher, forms = self._matcher(language)
        found = []
        for match_id, start, end in matcher(doc):
            span = doc[start:end]
            form = matcher.vocab.strings[match_id]
            key, listed, variant = forms[form]
            if listed[:1].isupper() and not span.text[:1].isupper():
                continue  # "рада" (glad), not the Rada
            found.append(CyrillicMatch(span.start_char, span.end_char, key, listed, variant))
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        chosen: list[CyrillicMatch] = []
        for match in found:
            if all(match.end <= c.start or match.start >= c.end for c in chosen):
                chosen.append(match)
        return sorted(chosen, key=lambda m: m.start)
