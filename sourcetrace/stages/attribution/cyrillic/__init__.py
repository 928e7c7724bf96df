"""Attribution in Russian and Ukrainian: the rules of `rules.py` turned into the `attributions` layer, with the
speaker's name in the nominative and role ("пресс-секретарь президента РФ" for "пресс-секретаря президента РФ
Дмитрия Пескова"), the kind of source, later mentions ("Песков", "он") linked to the first full one, and the
author's own voice (sentences with a finite verb that no attribution touches)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sourcetrace.analysis import Attribution, Span, Speaker, stable_id
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC, load_cyrillic
from sourcetrace.pipeline.registry import Document
from sourcetrace.stages.attribution.author_voice import author_voice
from sourcetrace.stages.attribution.cyrillic.rules import CyrillicRules, Found, lexicon, quote_regions

__all__ = ["CYRILLIC", "CyrillicAttribution"]

_NAME_LABELS = ("PERSON",)
_GROUP_LABELS = ("ORG", "GPE", "NORP", "LOC")


class CyrillicAttribution:
    """The attribution layer of Russian and Ukrainian articles (rules only: no trained model exists for them)."""

    def __init__(self, author_voice: bool = True) -> None:
        self.author_voice = author_voice
        self.rules = {language: CyrillicRules(language) for language in sorted(CYRILLIC)}
        self.lex = lexicon()

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            language = document.analysis.article.language
            if document.doc is None or language not in CYRILLIC:
                continue
            # the English model named in meta.models did not make this layer
            document.analysis.meta.models = {**document.analysis.meta.models, "attribution": f"rules-{language}"}
            found = self.rules[language].find(document.doc, document.text)
            attributions = self.describe(document, found, language)
            if self.author_voice:
                attributions.extend(self._author_voice(document, attributions))
            attributions.sort(key=lambda a: (a.content.start, a.id))
            document.analysis.attributions.extend(attributions)

    def describe(self, document: Document, found: list[Found], language: str) -> list[Attribution]:
        text, doc, article_id = document.text, document.doc, document.analysis.article.id
        regions = quote_regions(text)
        known: list[tuple[Speaker, str]] = []
        result = []
        for item in sorted(found, key=lambda f: (f.cue or f.content[0])[0]):
            content = Span.of_fragments(text, item.content)
            kind, speaker = "other", None
            if item.source is not None:
                kind, speaker = self._speaker(doc, text, item.source, language)
                if kind == "pronoun":
                    word = text[item.source[0]:item.source[1]].strip().lower()
                    wanted = "named_person" if word in self.lex.person_pronouns else "named_organization"
                    speaker = next((s for s, k in reversed(known) if k == wanted), None)
                elif speaker is not None:
                    earlier = _earlier(speaker, known)
                    if earlier is not None:
                        speaker, kind = earlier
                    elif kind in ("named_person", "named_organization"):
                        known.append((speaker, kind))
                elif kind == "other":  # "подчеркнул политолог" after "Политолог Никита Донцов"
                    speaker = _described(text[item.source[0]:item.source[1]], known)
            result.append(Attribution(
                id=stable_id("attr", article_id, content.start, content.end, item.cue[0] if item.cue else -1),
                source=Span.of(text, *item.source) if item.source else None,
                cue=Span.of(text, *item.cue) if item.cue else None,
                content=content,
                channel=Span.of(text, *item.channel) if item.channel else None,
                source_kind=kind,
                quote_kind=_quote_kind(text, item.content, regions),
                speaker=speaker,
            ))
        return result

    def _speaker(self, doc: Any, text: str, source: tuple[int, int], language: str) -> tuple[str, Speaker | None]:
        span = doc.char_span(*source, alignment_mode="expand")
        words = text[source[0]:source[1]].strip()
        lower = words.lower()
        if lower in self.lex.person_pronouns or lower in self.lex.group_pronouns:
            return "pronoun", None
        if span is None:
            return "other", None
        persons = [e for e in doc.ents if e.label_ in _NAME_LABELS and span.start <= e.start and e.end <= span.end]
        if persons:
            person = persons[0]
            name = " ".join(_nominative(t, language) for t in person if not t.is_punct)
            role_tokens = [t for t in span if t.i < person.start and not t.is_punct]
            role = _role(role_tokens, language) if role_tokens else None
            return "named_person", Speaker(name=name, role=role)
        surname = _surname_tail(span, language)
        if surname:
            name = " ".join(_nominative(t, language) for t in surname)
            role_tokens = [t for t in span if t.i < surname[0].i and not t.is_punct]
            return "named_person", Speaker(name=name, role=_role(role_tokens, language) if role_tokens else None)
        groups = [e for e in doc.ents if e.label_ in _GROUP_LABELS and span.start <= e.start and e.end <= span.end]
        outlet = lower.strip("«»\" ") in self.lex.outlets
        head = next((t for t in span if t.pos_ in ("NOUN", "PROPN")), None)
        head_lemma = head.lemma_.lower() if head is not None else ""
        if head_lemma in self.lex.anonymous_heads and not persons:
            return "anonymous", None
        # an organisation when the source's first noun is inside the name ("Минобороны России"), not a title
        # before it ("канцлер ФРГ")
        if outlet or any(head is not None and e.start <= head.i < e.end for e in groups):
            return "named_organization", Speaker(name=words.strip("«»\" "), role=None)
        return "other", None

    def _author_voice(self, document: Document, found: list[Attribution]) -> list[Attribution]:
        return author_voice(document, found, lambda span: any(_finite(t) for t in span), (".", "!", "»", "\""))


def _surname_tail(span: Any, language: str) -> list[Any]:
    """The capitalised words ending a source that the dictionary knows as a surname or a name, or does not know
    at all ("политолог Живов", "Рогов", "пані Сміт"); empty when the last word is none of these."""
    analyzer = load_cyrillic(language).morph_analyzer
    tail: list[Any] = []
    for token in reversed([t for t in span if not t.is_punct]):
        cyrillic = re.search(r"[а-яёіїєґ]", token.text.lower()) is not None  # a Latin word is no Cyrillic surname
        if cyrillic and token.text[:1].isupper() and not token.text.isupper() and token.pos_ in ("PROPN", "NOUN",
                                                                                                  "ADJ", "X"):
            tail.insert(0, token)
            continue
        break
    if not tail or len(tail) > 3:
        return []
    last = tail[-1].text
    parses = analyzer.parse(last)
    if any({"Surn", "Name", "Patr"} & set(p.tag.grammemes) for p in parses) or not analyzer.word_is_known(last.lower()):
        if any("Geox" in p.tag.grammemes or "Orgn" in p.tag.grammemes for p in parses):
            return []
        return tail
    return []


def _finite(token: Any) -> bool:
    if "Fin" in token.morph.get("VerbForm"):
        return True
    # the Ukrainian backbone has no morphology tagger: a verb the dictionary reads as finite
    return token.pos_ == "VERB" and not token.morph.get("VerbForm") and not token.text.lower().endswith(("ти", "ть"))


def _nominative(token: Any, language: str) -> str:
    if token.pos_ == "PROPN" and token.lemma_:
        lemma = token.lemma_
        return lemma[:1].upper() + lemma[1:] if token.text[:1].isupper() else lemma
    return token.text


def _role(tokens: list[Any], language: str) -> str | None:
    """The words before the name, their head put in the nominative: "пресс-секретаря президента РФ" ->
    "пресс-секретарь президента РФ" (adjectives before the head agree with it and follow it)."""
    words = [t.text for t in tokens]
    head = next((i for i, t in enumerate(tokens) if t.pos_ == "NOUN"), None)
    if head is not None:
        analyzer = load_cyrillic(language).morph_analyzer
        for index in range(head + 1):
            parses = analyzer.parse(tokens[index].text)
            wanted = {"NOUN"} if index == head else {"ADJF", "PRTF"}
            parse = next((p for p in parses if p.tag.POS in wanted and p.tag.case in ("gent", "datv", "ablt", "loct",
                                                                                    "accs", "nomn")), None)
            if parse is None:
                continue
            number = "plur" if parse.tag.number == "plur" else "sing"
            inflected = parse.inflect({"nomn", number})
            if inflected is not None:
                word = inflected.word
                words[index] = word[:1].upper() + word[1:] if tokens[index].text[:1].isupper() else word
    role = re.sub(r"\s+", " ", " ".join(words)).strip(" ,")
    role = re.sub(r"\s+([»\)])", r"\1", re.sub(r"([«\(])\s+", r"\1", role))
    return role or None


def _described(description: str, known: list[tuple[Speaker, str]]) -> Speaker | None:
    """The last named person whose role holds this description's first word ("политолог", "канцлер")."""
    words = re.findall(r"\w[\w-]*", description.lower())
    if not words or len(words) > 4:
        return None
    stem = words[0][:max(4, len(words[0]) - 2)]
    for speaker, kind in reversed(known):
        if kind == "named_person" and speaker.role and any(w.startswith(stem) for w in
                                                          re.findall(r"\w[\w-]*", speaker.role.lower())):
            return speaker
    return None


def _earlier(speaker: Speaker, known: list[tuple[Speaker, str]]) -> tuple[Speaker, str] | None:
    """An earlier speaker this one names again ("Песков" after "Дмитрий Песков")."""
    words = speaker.name.split()
    for earlier, kind in reversed(known):
        earlier_words = earlier.name.split()
        if earlier.name == speaker.name:
            return (earlier if earlier.role or not speaker.role else speaker), kind
        if words and len(words) < len(earlier_words) and earlier_words[-len(words):] == words:
            return earlier, kind
    return None


def _quote_kind(text: str, content: list[tuple[int, int]], regions: list[tuple[int, int]]) -> str:
    start, end = content[0][0], content[-1][1]
    if any(s <= start and end <= e for s, e in regions):
        return "direct"
    if any(start <= s and e <= end for s, e in regions):
        quoted = sum(e - s for s, e in regions if start <= s and e <= end)
        return "direct" if quoted >= (end - start) - 3 else "mixed"
    return "indirect"
