"""Reported speech in Russian and Ukrainian news, found by rules over the backbone's tokens, lemmas and (for
Russian) dependency parse. Each rule gives source, cue, content and channel as character ranges:

- inverted, after the content: «...», — заявил X.  /  ..., сообщает ТАСС.  /  ..., — говорится в заявлении X.
- introduced: по словам X, ...  /  как сообщает X, ...  /  за словами X, ...  /  як передає X, ...
  (also in the middle or at the end of the sentence: "..., по словам X.")
- subject first: X заявил, что ...  /  X считает, что ...  /  X заявил: «...»  /  X заявив, що ...
- "об этом заявил X" / "про це повідомив X": the content is the sentence before
- a headline or paragraph "X: ..." where X is a name
Sources with a parse (Russian) are the cue verb's subject; without one (Ukrainian), the run of nouns and
adjectives next to the cue.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sourcetrace._ml.text import trim
from sourcetrace._yaml import load_yaml

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.yaml"
Range = tuple[int, int]

_DASHES = frozenset({"—", "–", "-", "--", "―"})
_QUOTE_OPEN = "«„“\""
_QUOTE_CLOSE = "»“”\""
_SENTENCE_END = frozenset(".!?…")
_NP_POS = frozenset({"NOUN", "PROPN", "ADJ", "NUM", "DET", "X"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubj:pass"})
_POSSESSIVES = frozenset({"его", "её", "ее", "их", "моим", "нашим", "його", "її", "їхніми", "їх", "їхню", "мою",
                          "нашу", "свою"})
_DEMONSTRATIVES = frozenset({"это", "все это", "всё это", "это все", "что", "це", "все це", "що", "то", "те"})
# one-word parentheticals between a subject and its cue ("Він, однак, зазначив")
_PARENTHETICALS = frozenset({"однак", "однако", "впрочем", "втім", "також", "также", "тоже", "теж", "зокрема",
                             "ранее", "раніше", "водночас", "наприклад", "например"})
_RELATIVES = frozenset({"которому", "которой", "которым", "которых", "который", "которая", "которое", "которые",
                        "якому", "якій", "яким", "яких", "який", "яка", "яке", "які", "чему", "чьим"})


@dataclass
class Lexicon:
    cue_verbs: dict[str, frozenset[str]]
    outlet_only_verbs: frozenset[str]
    document_cues: frozenset[str]
    according_to: dict[str, list[tuple[str, ...]]]  # longest first
    as_words: frozenset[str]
    about_this: dict[str, list[tuple[str, ...]]]
    channel_nouns: frozenset[str]
    anonymous_heads: frozenset[str]
    person_pronouns: frozenset[str]
    group_pronouns: frozenset[str]
    outlets: frozenset[str]


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = load_yaml(LEXICON_FILE)

    def phrases(values: list[str]) -> list[tuple[str, ...]]:
        return sorted({tuple(v.split()) for v in values}, key=len, reverse=True)

    return Lexicon(
        cue_verbs={lang: frozenset(words) for lang, words in data["cue_verbs"].items()},
        outlet_only_verbs=frozenset(data["outlet_only_verbs"]),
        document_cues=frozenset(data["document_cues"]),
        according_to={lang: phrases(words) for lang, words in data["according_to"].items()},
        as_words=frozenset(data["as_words"]),
        about_this={lang: phrases(words) for lang, words in data["about_this"].items()},
        channel_nouns=frozenset(data["channel_nouns"]),
        anonymous_heads=frozenset(data["anonymous_heads"]),
        person_pronouns=frozenset(data["pronouns"]["person"]),
        group_pronouns=frozenset(data["pronouns"]["group"]),
        outlets=frozenset(data["outlets"]),
    )


@dataclass
class Found:
    """One attribution as character ranges; `rule` names the pattern that found it."""

    content: list[Range]
    cue: Range | None
    source: Range | None
    channel: Range | None = None
    rule: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


def quote_regions(text: str) -> list[Range]:
    """[start, end) of quotations, marks included: «» nest (the outer pair is the region), „“ and straight
    quotes inside «» belong to it; a quotation still open at a paragraph's end stays open into the next
    paragraphs when a closing » comes later (Russian news open a multi-paragraph quote once)."""
    regions: list[Range] = []
    depth = 0
    opened = -1
    straight_open = -1
    for position, ch in enumerate(text):
        if ch == "«":
            if depth == 0:
                opened = position
            depth += 1
        elif ch == "»" and depth > 0:
            depth -= 1
            if depth == 0:
                regions.append((opened, position + 1))
        elif depth == 0 and ch in "\"“”„":
            if straight_open < 0 and ch in "\"“„":
                straight_open = position
            elif straight_open >= 0 and ch in "\"”“":
                regions.append((straight_open, position + 1))
                straight_open = -1
        elif ch == "\n" and straight_open >= 0:
            straight_open = -1  # a straight quote never runs on past its line
    return sorted(regions)


class CyrillicRules:
    """Finds attributions in one parsed Russian or Ukrainian article."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.lex = lexicon()
        self.cues = self.lex.cue_verbs[language]

    # --- entry -------------------------------------------------------------------------------------------
    def find(self, doc: Any, text: str) -> list[Found]:
        regions = quote_regions(text)
        sentences = [s for s in doc.sents if any(not t.is_space for t in s)]
        found: list[Found] = []
        for index, sentence in enumerate(sentences):
            tokens = [t for t in sentence if not t.is_space]
            previous = sentences[index - 1] if index else None
            found.extend(self._sentence(doc, text, tokens, previous, regions))
        found.extend(self._colon_lines(doc, text, found))
        kept = []
        for item in found:
            if self.relative(text, item.source):
                item.source = None
            if item.source is not None and text[item.source[0]:item.source[1]].strip().lower() in _DEMONSTRATIVES:
                continue  # "Это говорит о том, что": a sign, not a speaker
            kept.append(item)
        return _without_overlaps(kept)

    def _sentence(self, doc: Any, text: str, tokens: list[Any], previous: Any,
                  regions: list[Range]) -> list[Found]:
        result: list[Found] = []
        used: set[int] = set()
        for found in self._according_to(text, tokens):
            result.append(found)
            used.update(range(found.cue[0], found.cue[1]) if found.cue else ())
        for position, token in enumerate(tokens):
            if token.idx in used or not self._is_cue(token):
                continue
            found = (self._about_this(text, tokens, position, previous)
                     or self._as_cue(text, tokens, position)
                     or self._inverted(text, tokens, position, regions)
                     or self._subject_first(doc, text, tokens, position, regions))
            if found is not None:
                result.append(found)
                used.update(range(found.cue[0], found.cue[1]) if found.cue else ())
        return result

    def _is_cue(self, token: Any) -> bool:
        lemma = token.lemma_.lower()
        if lemma not in self.cues and token.text.lower() not in self.cues:
            return False
        if token.pos_ not in ("VERB", "AUX") and token.text.lower() != "пишет":
            return False
        # a finite verb in the past or present: not "комментируя", "отметить", "скажет" (what is not yet said)
        forms = token.morph.get("VerbForm")
        return (not forms or "Fin" in forms) and "Fut" not in token.morph.get("Tense")

    # --- the rules -----------------------------------------------------------------------------------------
    def _according_to(self, text: str, tokens: list[Any]) -> list[Found]:
        """по словам X, CONTENT / CONTENT, по словам X / A, по словам X, B (and Ukrainian за словами X)."""
        result = []
        words = [t.text.lower() for t in tokens]
        position = 0
        while position < len(tokens):
            phrase = next((p for p in self.lex.according_to[self.language]
                           if tuple(words[position:position + len(p)]) == p), None)
            possessive = None
            if phrase is None and position + 2 < len(words) and words[position + 1] in _POSSESSIVES:
                # "по его словам", "за його словами", "на їхню думку": the pronoun is the source
                pair = (words[position], words[position + 2])
                if any(p[0] == pair[0] and p[-1][:4] == pair[1][:4] for p in self.lex.according_to[self.language]
                       if len(p) == 2):
                    possessive = tokens[position + 1]
            if possessive is not None and (not position or words[position - 1] in (",", "—", "–", "(")
                                           or _clause_start(tokens, position)):
                cue = (tokens[position].idx, _end(tokens[position + 2]))
                stop = position + 3 if position + 3 < len(tokens) and words[position + 3] == "," else None
                before = _content_before(text, tokens, position)
                after_content = _content_after(text, tokens, (stop or position + 2) + 1)
                content = [piece for piece in (before, after_content) if piece]
                if content:
                    result.append(Found(content=content, cue=cue, source=(possessive.idx, _end(possessive)),
                                        rule="according_to"))
                position += 3
                continue
            following = words[position + len(phrase)] if phrase and position + len(phrase) < len(words) else ""
            if following in _RELATIVES:
                phrase = None  # "согласно которому": a relative clause, not a source
            if phrase is None or (position and words[position - 1] not in (",", "—", "–", "(")
                                  and not _clause_start(tokens, position)):
                position += 1
                continue
            cue = (tokens[position].idx, _end(tokens[position + len(phrase) - 1]))
            after = position + len(phrase)
            stop = _next_comma(tokens, after)
            source_end = stop if stop is not None else _sentence_end(tokens)
            if source_end <= after:
                position += 1
                continue
            source = (tokens[after].idx, _end(tokens[source_end - 1]))
            before = _content_before(text, tokens, position)
            after_content = _content_after(text, tokens, stop + 1) if stop is not None else None
            content = [piece for piece in (before, after_content) if piece]
            if content:
                result.append(Found(content=content, cue=cue, source=trim_range(text, source),
                                    rule="according_to"))
            position = source_end
        return result

    def _as_cue(self, text: str, tokens: list[Any], position: int) -> Found | None:
        """как сообщает X, CONTENT / CONTENT, как сообщает X (як повідомляє X)."""
        if position == 0 or tokens[position - 1].text.lower() not in self.lex.as_words:
            return None
        opener = position - 1
        if opener and tokens[opener - 1].text not in (",", "—", "–", "(") and not _clause_start(tokens, opener):
            return None
        cue = (tokens[opener].idx, _end(tokens[position]))
        stop = _next_comma(tokens, position + 1)
        source_end = stop if stop is not None else _sentence_end(tokens)
        source_tokens = tokens[position + 1:source_end]
        channel = None
        source = None
        if source_tokens:
            source, channel = self._split_channel(text, source_tokens)
        elif stop is None:
            return None
        before = _content_before(text, tokens, opener)
        after = _content_after(text, tokens, stop + 1) if stop is not None else None
        content = [piece for piece in (before, after) if piece]
        if not content:
            return None
        return Found(content=content, cue=cue, source=source, channel=channel, rule="as_cue")

    def _about_this(self, text: str, tokens: list[Any], position: int, previous: Any) -> Found | None:
        """Об этом заявил X. / Про це повідомив X.: the content is the sentence before."""
        words = [t.text.lower() for t in tokens]
        phrase = next((p for p in self.lex.about_this[self.language] if tuple(words[:len(p)]) == p), None)
        if phrase is None or previous is None or position > len(phrase) + 3:
            return None
        content = _strip_final(text, trim_range(text, (previous.start_char, previous.end_char)))
        if content[1] <= content[0]:
            return None
        return self._after_cue(text, tokens, position, [content], "about_this")

    def _inverted(self, text: str, tokens: list[Any], position: int, regions: list[Range]) -> Found | None:
        """«CONTENT», — заявил X. / CONTENT, — заявил X. / CONTENT, сообщает ТАСС."""
        first = position
        while first > 0 and tokens[first - 1].pos_ == "ADV" and first > position - 2:
            first -= 1  # "— также отметил он"
        marks = []
        cursor = first - 1
        while cursor >= 0 and (tokens[cursor].is_punct or tokens[cursor].text in _DASHES):
            marks.append(tokens[cursor])
            cursor -= 1
        texts = {m.text for m in marks}
        if cursor < 0 or not marks or not (texts & {",", *_DASHES}):
            return None
        if not (texts & _DASHES) and tokens[position].lemma_.lower() not in self.lex.document_cues:
            # "..., сообщил X" without a dash: the cue's subject follows it ("Шоумен, комментируя ..., заявил, что"
            # is not inverted)
            if position + 1 >= len(tokens) or tokens[position + 1].is_punct or tokens[position + 1].text.lower() in (
                    "что", "що", "о", "об", "про", "в", "у", "на"):
                return None
        mark_start = min(m.idx for m in marks)
        # «A, — отметил он, — B»: the quotation around the cue is one content, source and cue inside it
        region = next((r for r in regions if r[0] < mark_start and tokens[position].idx < r[1] - 1
                       and text[r[0]] == "«" and re.search(r"[,!?…]?\s*[—–-]\s*[а-яёіїєґ]", text[mark_start:r[1]])),
                      None)
        if region is None:
            region = next((r for r in regions if mark_start - 2 <= r[1] <= mark_start + 1 and r[0] < mark_start),
                          None)
        if region is None:
            region = next((r for r in regions if r[0] < mark_start <= r[1] and r[1] - mark_start <= 3), None)
        if region is not None:
            content = [region]
        else:
            start = tokens[0].idx
            if tokens[0].text in _DASHES:  # a dialogue line "— ..."
                start = tokens[1].idx if len(tokens) > 1 else start
            content = [trim_range(text, (start, _end(tokens[cursor])))]
        if content[0][1] <= content[0][0]:
            return None
        found = self._after_cue(text, tokens, position, content, "inverted")
        if found is not None and found.source is None and tokens[position].lemma_.lower() not in self.lex.document_cues:
            return None  # "..., — добавил." with nothing after: too unsure
        return found

    def _subject_first(self, doc: Any, text: str, tokens: list[Any], position: int,
                       regions: list[Range]) -> Found | None:
        """X заявил, что CONTENT / X заявил: «CONTENT» / X заявил: CONTENT / В заявлении X говорится, что ..."""
        cue_token = tokens[position]
        after = position + 1
        # "заявил журналистам, что", "заявил об уверенности в том, что": up to 6 words before the complement
        limit = min(len(tokens), after + 8)
        complement = None
        for index in range(after, limit):
            word = tokens[index].text.lower()
            if word == ":":
                complement = index
                break
            if word in ("что", "що", "будто", "мовби", "нібито", "якобы") and tokens[index - 1].text == ",":
                complement = index
                break
            if tokens[index].pos_ in ("VERB", "AUX") or word in (".", "!", "?"):
                break
        if complement is None:
            return None
        content_start = complement + 1
        if content_start >= len(tokens):
            return self._colon_paragraph(doc, text, tokens, position, complement)
        # indirect speech keeps its complementiser ("что ...", as PolNeAR keeps "that"); a colon is left out
        start_char = tokens[complement].idx if tokens[complement].text != ":" else tokens[content_start].idx
        region = next((r for r in regions if r[0] == tokens[content_start].idx), None)
        if tokens[complement].text == ":" and region is not None:
            content = region
        else:
            content = trim_range(text, (start_char, _end(tokens[-1])))
            content = _strip_final(text, content)
        if content[1] <= content[0]:
            return None
        cue = (cue_token.idx, _end(cue_token))
        source, channel = self._subject(doc, text, tokens, position)
        between = tokens[after:complement - (1 if tokens[complement - 1].text == "," else 0)]
        if channel is None and between:
            channel = self._channel_of(text, between)
        if source is None and cue_token.lemma_.lower() in self.lex.document_cues:
            source, channel = self._document_source(text, tokens, position)
        return Found(content=[content], cue=cue, source=source, channel=channel, rule="subject_first")

    def _colon_paragraph(self, doc: Any, text: str, tokens: list[Any], position: int, colon: int) -> Found | None:
        """"... сообщил X:" at a paragraph's end: the next paragraph is the content."""
        end = _end(tokens[colon])
        match = re.match(r"\s*\n\s*([^\n]+)", text[end:])
        if match is None:
            return None
        content = trim_range(text, (end + match.start(1), end + match.end(1)))
        found = self._after_cue(text, tokens[:colon], position, [content], "colon_paragraph")
        if found is not None and found.source is None:
            source, channel = self._subject(doc, text, tokens, position)
            found.source, found.channel = source, channel or found.channel
        return found

    def _colon_lines(self, doc: Any, text: str, found: list[Found]) -> list[Found]:
        """A headline or paragraph "Name: what was said", Name one to four words holding a person or group."""
        result = []
        taken = [piece for f in found for piece in f.content]
        for match in re.finditer(r"(?m)^[ \t]*(?P<name>[^\n:«\"]{2,60}?)[ \t]*:[ \t]*(?P<said>[^\n]{8,})$", text):
            name = match.span("name")
            said = trim_range(text, match.span("said"))
            if len(text[name[0]:name[1]].split()) > 4 or any(s < said[1] and said[0] < e for s, e in taken):
                continue
            if not self._names_someone(doc, text, name):
                continue
            result.append(Found(content=[said], cue=None, source=trim_range(text, name), rule="colon_line",
                                extras={"colon": match.end("name")}))
        # a headline "what was said, — Генштаб ЗСУ" / "..., - ГУР": the name after a final dash
        for match in re.finditer(r"(?m)^[ \t]*(?P<said>[^\n]{12,}?)[,!?…»\"]?[ \t]+[—–-][ \t]*"
                                 r"(?P<name>[^\n—–,.:;]{2,40}?)[ \t.]*$", text):
            name = trim_range(text, match.span("name"))
            said = trim_range(text, match.span("said"))
            if len(text[name[0]:name[1]].split()) > 4 or any(s < said[1] and said[0] < e for s, e in taken):
                continue
            if self._names_someone(doc, text, name):
                result.append(Found(content=[_strip_final(text, said)], cue=None, source=name, rule="dash_line"))
        return result

    def _names_someone(self, doc: Any, text: str, name: Range) -> bool:
        """Whether a short line-initial or line-final phrase is a name: it starts with a capital or is an
        abbreviation, holds a named entity or an abbreviation, and has no verb."""
        words = text[name[0]:name[1]].strip()
        span = doc.char_span(name[0], name[1], alignment_mode="expand")
        if span is None or not words[:1].isupper() or any(t.pos_ in ("VERB", "AUX") for t in span):
            return False
        return bool(span.ents) or any((t.text.isupper() and len(t.text) >= 2 and t.text.isalpha())
                                      or (t.pos_ == "PROPN" and t.text[:1].isupper()) for t in span)

    # --- pieces --------------------------------------------------------------------------------------------
    def _after_cue(self, text: str, tokens: list[Any], position: int, content: list[Range],
                   rule: str) -> Found | None:
        """Cue at `position`, source (and channel) the words after it up to the sentence's end or a comma."""
        cue_token = tokens[position]
        cue = (cue_token.idx, _end(cue_token))
        stop = _next_comma(tokens, position + 1)
        end = stop if stop is not None else _sentence_end(tokens)
        rest = [t for t in tokens[position + 1:end] if t.text not in _DASHES]
        source, channel = (None, None)
        if cue_token.lemma_.lower() in self.lex.document_cues:
            source, channel = self._document_source(text, tokens, position)
        elif rest:
            source, channel = self._split_channel(text, rest, cue_token)
        if source is None and rule != "about_this" and cue_token.lemma_.lower() not in self.lex.document_cues:
            source, channel_found = self._subject(None, text, tokens, position)
            channel = channel or channel_found
        return Found(content=content, cue=cue, source=source, channel=channel, rule=rule)

    def _split_channel(self, text: str, words: list[Any], cue: Any = None) -> tuple[Range | None, Range | None]:
        """Source and channel among the words after a cue ("РИА Новости Рогов", "Песков журналистам", "Кулеба
        в интервью ТАСС"): with a parse, the cue's subject is the source and a dative or "в интервью ..." the
        channel; without one, the first noun run is the source."""
        if cue is not None and cue.doc.has_annotation("DEP"):
            subject = next((c for c in cue.children if c.dep_ in _SUBJECT_DEPS and c.i > cue.i), None)
            if subject is not None:
                source = _subtree(subject, after=cue.i)
                channel = self._channel_of(text, [t for t in words if not (source[0] <= t.idx < source[1])])
                return trim_range(text, source), channel
        run = _noun_run(words)
        if not run:
            return None, None
        source_tokens = run
        channel = None
        # a leading outlet in the dative before a person ("— сказал РИА Новости Рогов")
        if len(run) >= 2 and " ".join(t.text for t in run).lower() not in self.lex.outlets:
            for split in range(len(run) - 1, 0, -1):
                head = " ".join(t.text for t in run[:split]).lower()
                if head in self.lex.outlets and run[split].pos_ == "PROPN":
                    channel = (run[0].idx, _end(run[split - 1]))
                    source_tokens = run[split:]
                    break
        rest = [t for t in words if t.idx >= _end(source_tokens[-1])]
        channel = channel or self._channel_of(text, rest)
        return (source_tokens[0].idx, _end(source_tokens[-1])), channel

    def _channel_of(self, text: str, words: list[Any]) -> Range | None:
        """"в интервью ТАСС", "журналистам", "в своем Telegram-канале", "у Facebook", "РИА Новости"."""
        for index, token in enumerate(words):
            lower = token.text.lower()
            if lower in ("в", "во", "на", "у", "для") and index + 1 < len(words):
                nouns = words[index + 1:index + 4]
                head = next((t for t in nouns if t.lemma_.lower() in self.lex.channel_nouns
                             or t.text.lower() in self.lex.channel_nouns), None)
                if head is not None:
                    run = words[index:]
                    end = next((i for i, t in enumerate(run) if i and (t.is_punct and t.text not in "«»\"")), len(run))
                    return trim_range(text, (token.idx, _end(run[end - 1])))
            if lower in ("журналистам", "журналістам", "репортерам", "репортёрам"):
                return (token.idx, _end(token))
        joined = " ".join(t.text.lower() for t in words)
        for outlet in sorted(self.lex.outlets, key=len, reverse=True):
            found = re.search(rf"(?<!\w){re.escape(outlet)}(?!\w)", joined)
            if found is not None and len(outlet) > 2:
                pieces = outlet.split()
                for index in range(len(words) - len(pieces) + 1):
                    if [t.text.lower() for t in words[index:index + len(pieces)]] == pieces:
                        return (words[index].idx, _end(words[index + len(pieces) - 1]))
        return None

    def _document_source(self, text: str, tokens: list[Any], position: int) -> tuple[Range | None, Range | None]:
        """"говорится в заявлении Минобороны": channel "в заявлении", source "Минобороны" (the document's
        owner), if named."""
        for index in range(len(tokens)):
            token = tokens[index]
            if token.text.lower() not in ("в", "во", "у") or index + 1 >= len(tokens):
                continue
            noun = tokens[index + 1]
            if noun.lemma_.lower() not in self.lex.channel_nouns and noun.text.lower() not in self.lex.channel_nouns:
                continue
            channel = (token.idx, _end(noun))
            owner = _noun_run(tokens[index + 2:])
            if owner and owner[0].idx == _end(noun) + 1:
                return (owner[0].idx, _end(owner[-1])), channel
            return None, channel
        return None, None

    def _subject(self, doc: Any, text: str, tokens: list[Any], position: int) -> tuple[Range | None, Range | None]:
        """The cue's subject: from the parse when there is one, else the noun run right before the cue."""
        cue = tokens[position]
        if cue.doc.has_annotation("DEP"):
            subject = next((c for c in cue.children if c.dep_ in _SUBJECT_DEPS), None)
            if subject is not None:
                return trim_range(text, _subtree(subject, after=None if subject.i < cue.i else cue.i)), None
            location = next((c for c in cue.children if c.dep_ == "obl" and c.i < cue.i
                             and any(g.text.lower() in ("в", "во") and g.dep_ == "case" for g in c.children)), None)
            if location is not None and _plural_or_impersonal(cue):  # "в Минобороны заявили"
                return trim_range(text, _subtree(location, after=cue.i)), None
            return None, None
        end = position
        # "Він, однак, зазначив", "Она также отметила": adverbs and a parenthetical between subject and cue
        while end > 0 and (tokens[end - 1].pos_ in ("ADV", "PART") or tokens[end - 1].text.lower() in _PARENTHETICALS
                           or (tokens[end - 1].text == "," and end >= 2
                               and tokens[end - 2].text.lower() in _PARENTHETICALS)):
            end -= 1
        if end < position and end > 0 and tokens[end - 1].text == ",":
            end -= 1
        before = _noun_run(list(reversed(tokens[:end])))
        before.reverse()
        while before and before[0].pos_ in ("ADP", "CCONJ"):
            before = before[1:]
        if not before:
            pronoun = tokens[end - 1] if end else None
            if pronoun is not None and pronoun.text.lower() in self.lex.person_pronouns | self.lex.group_pronouns:
                return (pronoun.idx, _end(pronoun)), None
            return None, None
        return (before[0].idx, _end(before[-1])), None

    @staticmethod
    def relative(text: str, source: Range | None) -> bool:
        """Whether a source is a relative pronoun ("в статье, в которой говорится"): no source then."""
        return source is not None and text[source[0]:source[1]].strip().lower() in _RELATIVES

    def _is_outlet_verb(self, token: Any) -> bool:
        return token.lemma_.lower() in self.lex.outlet_only_verbs


# --- helpers -------------------------------------------------------------------------------------------------
def _end(token: Any) -> int:
    return token.idx + len(token.text)


def trim_range(text: str, piece: Range) -> Range:
    start, end = trim(text, piece[0], piece[1])
    return (start, end) if end > start else piece


def _strip_final(text: str, piece: Range) -> Range:
    start, end = piece
    while end > start and text[end - 1] in ".!?…;,":
        end -= 1
    return trim_range(text, (start, end))


def _clause_start(tokens: list[Any], position: int) -> bool:
    return position == 0 or (position == 1 and tokens[0].text in _DASHES) or (
        all(t.is_punct or t.pos_ in ("CCONJ", "ADV", "PART") for t in tokens[:position]) and position <= 2)


def _next_comma(tokens: list[Any], start: int) -> int | None:
    depth = 0
    for index in range(start, len(tokens)):
        word = tokens[index].text
        if word in ("«", "("):
            depth += 1
        elif word in ("»", ")"):
            depth = max(0, depth - 1)
        elif word == "," and depth == 0:
            return index
    return None


def _sentence_end(tokens: list[Any]) -> int:
    end = len(tokens)
    while end > 0 and (tokens[end - 1].text in _SENTENCE_END or tokens[end - 1].text in ("»", ")", "\"")
                       and not any(t.text in ("«", "(", "\"") for t in tokens[:end - 1])):
        end -= 1
    return end


def _content_before(text: str, tokens: list[Any], position: int) -> Range | None:
    """The clause before a mid-sentence "по словам X" / "как сообщает X", without its final comma."""
    end = position
    while end > 0 and (tokens[end - 1].is_punct or tokens[end - 1].text in _DASHES):
        end -= 1
    if end <= 0:
        return None
    start = tokens[1].idx if tokens[0].text in _DASHES and len(tokens) > 1 else tokens[0].idx
    piece = trim_range(text, (start, _end(tokens[end - 1])))
    return piece if sum(ch.isalpha() for ch in text[piece[0]:piece[1]]) >= 8 else None


def _content_after(text: str, tokens: list[Any], start: int) -> Range | None:
    if start >= len(tokens):
        return None
    piece = _strip_final(text, (tokens[start].idx, _end(tokens[-1])))
    return piece if sum(ch.isalpha() for ch in text[piece[0]:piece[1]]) >= 8 else None


def _noun_run(words: Sequence[Any]) -> list[Any]:
    """The leading run of name-like words: nouns, proper nouns, adjectives, numbers, quotation marks around a
    name, hyphens, and a preposition or "и"/"і" between two nouns ("глава комитета по обороне")."""
    run: list[Any] = []
    open_quote = False
    for index, token in enumerate(words):
        word = token.text
        if token.pos_ in _NP_POS or (token.pos_ == "PRON" and not run) or word in ("«", "»", "\"", "-", "–") and (
                run or word in ("«", "\"")):
            if word in ("«", "\""):
                open_quote = not open_quote if word == "\"" else True
            elif word == "»":
                open_quote = False
            run.append(token)
            if token.pos_ == "PRON" and len(run) == 1:
                break  # a pronoun is the whole source
            continue
        if (token.pos_ in ("ADP", "CCONJ") and run and index + 1 < len(words)
                and words[index + 1].pos_ in _NP_POS and run[-1].pos_ in ("NOUN", "PROPN")):
            run.append(token)
            continue
        if open_quote and not token.is_punct:
            run.append(token)
            continue
        break
    while run and (run[-1].pos_ in ("ADP", "CCONJ") or run[-1].text in ("«", "-", "–")):
        run.pop()
    return run


def _subtree(token: Any, after: int | None) -> Range:
    """A token's subtree as characters; `after`: only the part after that token index (the subject after its
    verb never reaches back over it)."""
    members = [t for t in token.subtree if not t.is_space and (after is None or t.i > after)
               and not (t.is_punct and t.text in (",", ".", ":", ";", "—", "–"))]
    if not members:
        return token.idx, _end(token)
    # a subject's subtree stops at the first comma after the head: appositions after a comma are left out
    contiguous = [members[0]]
    for t in members[1:]:
        if t.i != contiguous[-1].i + 1 and any(not s.is_space for s in t.doc[contiguous[-1].i + 1:t.i]):
            break
        contiguous.append(t)
    return contiguous[0].idx, _end(contiguous[-1])


def _plural_or_impersonal(token: Any) -> bool:
    return "Plur" in token.morph.get("Number") or not token.morph.get("Gender")


def _without_overlaps(found: list[Found]) -> list[Found]:
    """Two rules finding the same cue keep the first; contents are kept apart per cue."""
    result: list[Found] = []
    cues: set[Range] = set()
    for item in found:
        if item.cue is not None and item.cue in cues:
            continue
        if item.cue is not None:
            cues.add(item.cue)
        result.append(item)
    return result
