"""Attribution rules on the spaCy parse: candidates (source, cue, content) and their characterisation.

Used in two ways: alone, they are the rule baseline (and the fallback when no trained weights are installed);
with the trained tagger, they link its spans and describe them (source kind, speaker, channel), which the
model does not give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import LEMMA, LOWER, ORTH, POS
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.strings import hash_string

from sourcetrace._ml.text import trim
from sourcetrace._yaml import load_yaml
from sourcetrace.stages.attribution.person_gender import first_name_genders

LEXICON_PATH = Path(__file__).resolve().parent / "lexicon.yaml"

# '' is the New York Times' quotation mark (both sides): 14% of PolNeAR's articles quote that way
_QUOTE_OPEN = ("\"", "“", "«", "„", "''")
_QUOTE_CLOSE = ("\"", "”", "»", "“", "''")
# entity labels of places: a name opening with a first name is still a place there ("North Carolina", "Santa Barbara");
# of the GPE/LOC names of PolNeAR train opening with a first name, 94% were places
PLACE_LABELS = frozenset({"GPE", "LOC"})


def opens_with_first_name(first_word: str, label: str) -> bool:
    """Whether an entity of this label whose first word is `first_word` is named as a person is: a known first
    name, outside a place."""
    return label not in PLACE_LABELS and first_word in first_name_genders()


PERSON_PRONOUNS = {"he", "she", "him", "her", "i", "we", "you"}
GROUP_PRONOUNS = {"they", "it", "them", "we"}


class Lexicon:
    """Word lists from `sourcetrace/stages/attribution/lexicon.yaml` (user-extendable)."""

    def __init__(self, path: Path = LEXICON_PATH) -> None:
        data: dict[str, Any] = load_yaml(path)
        self.cue_verbs = {w.lower() for w in data["cue_verbs"]}
        self.object_content_verbs = {w.lower() for w in data["object_content_verbs"]}
        self.xcomp_content_verbs = {w.lower() for w in data["xcomp_content_verbs"]}
        self.relay_nouns = {w.lower() for w in data["relay_nouns"]}
        self.anonymous_heads = {w.lower() for w in data["anonymous_heads"]}
        self.organization_heads = {w.lower() for w in data["organization_heads"]}
        self.titles = {w.lower() for w in data["titles"]}
        self.outlets = {w.lower() for w in data["outlets"]}
        self.news_agencies = {w.lower() for w in data.get("news_agencies", [])}
        self.broadcasters = {w.lower() for w in data.get("broadcasters", [])}
        self.platforms = {w.lower() for w in data["platforms"]}
        self.medium_nouns = {w.lower() for w in data["medium_nouns"]}
        self.male_words = {w.lower() for w in data.get("male_words", [])}
        self.female_words = {w.lower() for w in data.get("female_words", [])}
        self.nested_cue_verbs = {w.lower() for w in data.get("nested_cue_verbs", [])}
        self.cue_objects = {verb.lower(): {w.lower() for w in words}
                            for verb, words in data.get("cue_objects", {}).items()}
        self.description_roles = {head.lower(): {w.lower() for w in words}
                                  for head, words in data.get("description_roles", {}).items()}
        self.unique_roles = {w.lower() for w in data.get("unique_roles", [])}
        self.person_nouns = {w.lower() for w in data.get("person_nouns", [])}
        self.document_nouns = {w.lower() for w in data.get("document_nouns", [])}
        self.event_verbs_always = {w.lower() for w in data.get("event_verbs_always", [])}
        self.event_verbs = {w.lower() for w in data.get("event_verbs", [])} | self.event_verbs_always
        self.military_nouns = {w.lower() for w in data.get("military_nouns", [])}
        self.declining_verbs = {w.lower() for w in data.get("declining_verbs", [])}
        self.record_nouns = {w.lower() for w in data.get("record_nouns", [])}


@dataclass
class Candidate:
    """One attribution before it becomes an `Attribution`: character ranges, plus the parse tokens found."""

    content: list[tuple[int, int]]
    source: tuple[int, int] | None = None
    cue: tuple[int, int] | None = None
    cue_token: Any = None  # spacy Token of the attributing verb / preposition, when known
    channel: tuple[int, int] | None = None
    score: float | None = None
    origin: str = "rule"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def content_extent(self) -> tuple[int, int]:
        return self.content[0][0], self.content[-1][1]


def quote_regions(text: str) -> list[tuple[int, int]]:
    """[start, end) of quoted passages, quote marks included. A paragraph break closes an open quote."""
    regions = []
    open_at, inside_from = None, 0
    for match in re.finditer(r"''|[\"“”«»„]|\n\s*\n|\n", text):
        ch = match.group()
        if ch.startswith("\n"):
            if open_at is not None and "\n" in ch:
                open_at = None  # unbalanced: a quote that runs on to the next paragraph (follow-on quotes)
            continue
        position = match.start()
        if open_at is None:
            if ch in _QUOTE_OPEN:
                open_at, inside_from = position, match.end()
        elif ch in _QUOTE_CLOSE:
            if position - inside_from > 0:
                regions.append((open_at, match.end()))
            open_at = None
    return regions


def _span_of_tokens(tokens: list[Any]) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def subtree_range(token: Any) -> tuple[int, int]:
    """Character range of a token's subtree (contiguous in a projective parse)."""
    left, right = token.left_edge, token.right_edge
    while left.i < right.i and left.is_space:
        left = left.nbor(1)
    while right.i > left.i and right.is_space:
        right = right.nbor(-1)
    return left.idx, right.idx + len(right.text)


def _clause_fragments(text: str, clause: tuple[int, int], hole: tuple[int, int]) -> list[tuple[int, int]]:
    """`clause` minus `hole`, trimmed: the content around an inserted "X said" or "according to X"."""
    pieces = []
    for start, end in ((clause[0], min(clause[1], hole[0])), (max(clause[0], hole[1]), clause[1])):
        start, end = trim(text, start, end)
        if end > start and any(ch.isalnum() for ch in text[start:end]):
            pieces.append((start, end))
    return pieces


def token_indices(
    doc: Any, pos: frozenset[str] = frozenset(), orth: frozenset[str] = frozenset(),
    lower: frozenset[str] = frozenset(), lemma: frozenset[str] = frozenset(),
) -> list[int]:
    """The indices, in order, of the tokens whose part of speech is in `pos`, text in `orth`, lowercase form in
    `lower` or lemma in `lemma`, read from the doc's attribute arrays: a loop over `doc` builds a Token object for
    every word."""
    if len(doc) == 0:
        return []
    attributes = doc.to_array([POS, ORTH, LOWER, LEMMA])
    mask = np.isin(attributes[:, 0], [POS_IDS[name] for name in pos])
    mask |= np.isin(attributes[:, 1], [hash_string(text) for text in orth])
    mask |= np.isin(attributes[:, 2], [hash_string(text) for text in lower])
    mask |= np.isin(attributes[:, 3], [hash_string(text) for text in lemma])
    return np.flatnonzero(mask).tolist()


def select_tokens(
    doc: Any, pos: frozenset[str] = frozenset(), orth: frozenset[str] = frozenset(),
    lower: frozenset[str] = frozenset(), lemma: frozenset[str] = frozenset(),
) -> list[Any]:
    """The tokens of `token_indices`."""
    return [doc[i] for i in token_indices(doc, pos, orth, lower, lemma)]


def _bare_name(text: str, organisation: bool) -> str:
    """A name as a speaker's name: an organisation's without "the", anyone's without a possessive or the
    punctuation around it ("-President Obama" signing a pull quote)."""
    name = text.strip()
    if organisation:
        name = re.sub(r"^(the|The)\s+", "", name)
    return re.sub(r"['’]s$", "", name).strip(" ,.-–—")


class RuleExtractor:
    """Finds attribution candidates in a parsed document."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def candidates(self, doc: Any, text: str | None = None) -> list[Candidate]:
        """`text` is `doc.text` when the caller has it already (spaCy joins every token anew on each read)."""
        text = doc.text if text is None else text
        regions = quote_regions(text)
        found: list[Candidate] = []
        # only a verb or "according" starts a candidate
        for token in select_tokens(doc, pos=frozenset({"VERB"}), lower=frozenset({"according"})):
            candidate = None
            if token.lower_ == "according" and any(child.lower_ == "to" for child in token.children):
                candidate = self._according_to(token, text)
            elif token.lemma_.lower() == "quote" and _as_saying(token) is not None:
                candidate = self._quoted_as_saying(token, text, regions)
            elif token.lemma_.lower() in self.lexicon.cue_verbs and token.pos_ == "VERB":
                candidate = self._cue_verb(token, text, regions)
            if candidate is not None and candidate.content:
                found.append(candidate)
        return found

    # --- "X said (that) Y", "Y, X said", "X said: 'Y'" -------------------------------------------------
    def _cue_verb(self, verb: Any, text: str, regions: list[tuple[int, int]]) -> Candidate | None:
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is None and verb.dep_ == "conj":
            subject = next((c for c in verb.head.children if c.dep_ == "nsubj"), None)
        if subject is not None and subject.dep_ == "nsubjpass":
            agent = next((c for c in verb.children if c.dep_ == "agent"), None)
            pobj = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
            if pobj is None and subject.lower_ not in ("it",):
                return None  # "he was told ...": the subject is the addressee
            subject = pobj
        if subject is not None and subject.lower_ in ("that", "which", "who", "what"):
            subject = None
        if verb.dep_ in ("amod", "acl", "relcl", "pcomp", "advcl") and subject is None:
            return None
        cue = self._cue_range(verb)
        content: list[tuple[int, int]] = []
        complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
        lemma = verb.lemma_.lower()
        if complement is None and lemma in self.lexicon.xcomp_content_verbs:
            complement = next((c for c in verb.children if c.dep_ == "xcomp"), None)
        if complement is None and lemma in self.lexicon.object_content_verbs:
            complement = next((c for c in verb.children if c.dep_ == "dobj" and c.pos_ != "PRON"), None)
        if complement is not None:
            content = [trim(text, *subtree_range(complement))]
        elif verb.dep_ in ("parataxis", "ccomp") and _has_subject(verb.head) and verb.head.i < verb.i:
            # "The withdrawal, Moscow explained, was carried out ..." / "It is over, he said."
            head = verb.head
            clause = subtree_range(head)
            content = _clause_fragments(text, clause, _hole(verb, text))
        elif verb.dep_ == "parataxis" and _has_subject(verb.head) and verb.head.i > verb.i:
            content = _clause_fragments(text, subtree_range(verb.head), _hole(verb, text))
        # a quotation beside or inside the content is the content ("...," Marochko said.)
        content = self._with_quotes(verb, content, regions, text)
        content = [(s, e) for s, e in content if e > s]
        if not content:
            return None
        source = trim(text, *subtree_range(subject)) if subject is not None else None
        if source is not None and overlaps(source, content[0]) and len(content) == 1:
            return None
        return Candidate(content=content, source=source, cue=cue, cue_token=verb)

    def _cue_range(self, verb: Any) -> tuple[int, int]:
        tokens = [verb]
        for child in verb.children:
            if child.dep_ in ("aux", "neg") and child.i < verb.i and child.lower_ in _MODALS | {"not", "n't"}:
                tokens.append(child)
            if child.dep_ == "prt":
                tokens.append(child)
        tokens.sort(key=lambda t: t.i)
        if tokens[-1].i - tokens[0].i > 3:
            tokens = [verb]
        return _span_of_tokens([tokens[0], tokens[-1]])

    def _with_quotes(
        self, verb: Any, content: list[tuple[int, int]], regions: list[tuple[int, int]], text: str
    ) -> list[tuple[int, int]]:
        verb_at = verb.idx
        clause = subtree_range(verb)
        attached = []
        for start, end in regions:
            if start <= verb_at < end:
                continue  # the cue is quoted itself
            touches_content = any(s < end and start < e for s, e in content)
            # quote right before the "X said" clause (allowing the clause's comma) or right after "X said:"
            # quote right before the "X said" clause (allowing a comma) or right after "X said:", same paragraph
            between_before = text[end:clause[0]]
            before = end <= clause[0] and "\n" not in between_before and not between_before.strip(" ,—–-")
            if before and content and _ENDS_SENTENCE.search(text[start:end]):
                before = False  # '"... a disaster." She said the numbers were clear': her own words follow
            between_after = text[clause[1]:start]
            after = clause[1] <= start and "\n" not in between_after and not between_after.strip(" :,—–-")
            after = after or (verb.idx < start <= clause[1] and "\n" not in text[verb.idx:start]
                              and text[verb.idx + len(verb.text):start].strip(" :,") in ("", "that"))
            if touches_content or before or after:
                attached.append((start, end))
        if not attached:
            return content
        pieces = [trim(text, s, e) for s, e in attached]
        if content:
            lo = min(min(s for s, _ in pieces), content[0][0])
            hi = max(max(e for _, e in pieces), content[-1][1])
            if not (lo <= verb_at < hi):
                return [(lo, hi)]
            merged = sorted(pieces + content)
            return _merge(merged, text)
        return _merge(sorted(pieces), text)

    @cached_property
    def _titles_or_nothing(self) -> re.Pattern[str]:
        return titles_pattern(self.lexicon.titles | {"the"}, "*")

    # --- headline style 'Zelensky: "We will liberate every inch"', 'Pentagon: no troops in Ukraine' -------------
    def colon_lines(self, doc: Any, text: str) -> list[Candidate]:
        """A line that opens with a person or organisation, a colon, then what they said. The name must be all
        that stands before the colon (titles allowed): 'Kharkiv: five killed' (a place) and 'Read more: ...'
        are not attributions."""
        found = []
        for line in _COLON_LINE.finditer(text):
            name_start, name_end = line.start("name"), line.end("name")
            said_start, said_end = trim(text, line.start("said"), line.end("said"))
            if len(text[said_start:said_end].split()) < 2 or len(text[name_start:name_end].split()) > 6:
                continue
            name = doc.char_span(name_start, name_end, alignment_mode="expand")
            if name is None or (name.start_char, name.end_char) != (name_start, name_end):
                continue
            entities = [e for e in doc_facts(doc).entities if e.start >= name.start and e.end <= name.end]
            # a person or organisation; a place only as a seat of power ("The Kremlin", "The White House")
            person_or_org = [e for e in entities if e.label_ == "PERSON" or (e.label_ == "ORG" and len(e) <= 3) or (
                e.text.lower().removeprefix("the ") in self.lexicon.organization_heads)]  # not a 5-word "ORG" title
            if not person_or_org and self._known_surname(doc, name):
                person_or_org = [name]  # "Lavrov: ..." where the article names "Sergei Lavrov" elsewhere
            if not person_or_org or person_or_org[-1].end != name.end:
                continue
            if not self._titles_or_nothing.fullmatch(text[name_start:person_or_org[0].start_char]):
                continue  # only titles (or "the") may stand before the name
            colon = line.start("colon")
            colon_token = next((t for t in doc[name.end : name.end + 2] if t.idx == colon), None)
            if colon_token is None:
                continue
            found.append(Candidate(content=[(said_start, said_end)], source=(name_start, name_end),
                                   cue=(colon, colon + 1), cue_token=colon_token))
        return found

    # --- records as sources: "..., campaign finance records show", "payroll data showed that ..." ----------------
    def records_show(self, doc: Any, text: str) -> list[Candidate]:
        """"show" with a record or figure as its subject (`record_nouns`: records, documents, data, polls, filings,
        emails ...) and a clause as what it shows: the clause after it ("data showed that hiring slowed"), the
        clause it follows (", tax records show.") or the sentence it is inserted in (", court filings show, ...").
        A subject that is no record ("the company showed profits") or an object that is no clause ("polls show the
        mayor trailing") gives none."""
        found = []
        for verb in select_tokens(doc, lower=_SHOW_FORMS):
            if verb.pos_ != "VERB":
                continue
            subject = next((c for c in verb.children if c.dep_ == "nsubj" and c.i < verb.i), None)
            if subject is None or not ({subject.lemma_.lower(), subject.lower_} & self.lexicon.record_nouns):
                continue
            if any(c.dep_ in ("dobj", "dative", "oprd", "xcomp") for c in verb.children):
                continue
            complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
            if complement is not None:
                content = [trim(text, *subtree_range(complement))]
            elif verb.dep_ in ("parataxis", "ccomp", "advcl") and verb.head.pos_ in ("VERB", "AUX"):
                # "X, records show." / "As X, court filings show, Y": the sentence around the inserted clause
                content = _clause_fragments(text, subtree_range(verb.head), _hole(verb, text))
            else:
                continue
            content = [(s, e) for s, e in content if e > s]
            if not _shows_a_clause(doc, content):
                continue
            source = trim(text, *subtree_range(subject))
            if any(overlaps(source, piece) for piece in content):
                continue
            found.append(Candidate(content=content, source=source, cue=self._cue_range(verb), cue_token=verb,
                                   origin="records"))
        return found + self._records_show_inserted(doc, text, {c.cue for c in found})

    @cached_property
    def _inserted_records(self) -> re.Pattern[str]:
        nouns = sorted(self.lexicon.record_nouns, key=len, reverse=True)
        forms = "|".join(re.escape(n[:-1]) + "(?:y|ies)" if n.endswith("y") else re.escape(n) + "(?:e?s)?"
                         for n in nouns)
        # ", [as] campaign and corporate records show[,.]": up to five words before the record noun, none a verb
        words = r"(?:[\w'’.&-]+[ \t]+){0,5}?"
        return re.compile(rf",[ \t]+(?:as[ \t]+)?(?P<source>{words}(?:{forms}))[ \t]+"
                          r"(?P<cue>show|shows|showed)(?=[ \t]*[,.;]|[ \t]*$)", re.IGNORECASE)

    def _records_show_inserted(self, doc: Any, text: str, known: set[tuple[int, int] | None]) -> list[Candidate]:
        """", court filings show," inserted in or closing a sentence, read from the text where the parse took
        "show" for a noun: the sentence around it is what the records show."""
        found = []
        for sentence in doc.sents:
            for match in self._inserted_records.finditer(text, sentence.start_char, sentence.end_char):
                cue = match.span("cue")
                if any(overlaps(cue, other) for other in known):
                    continue
                words = doc.char_span(*match.span("source"), alignment_mode="expand")
                if words is None or any(t.pos_ in ("VERB", "AUX", "PRON", "SCONJ") for t in words):
                    continue
                hole = _widen_hole(text, (match.start(), cue[1]))
                content = _clause_fragments(text, (sentence.start_char, sentence.end_char), hole)
                if not _shows_a_clause(doc, content):
                    continue
                found.append(Candidate(content=content, source=trim(text, *match.span("source")), cue=cue,
                                       cue_token=doc.char_span(*cue, alignment_mode="expand")[0],
                                       origin="records"))
        return found

    # --- interviews: "Q: What made you run?" / "A: I saw the cuts." -----------------------------------------------
    def interview_lines(self, text: str) -> list[Candidate]:
        """The question and answer lines of an interview ("Q:", "A:", "Q.", "A.", or a "Q" run into the question's
        first word), each an attribution whose content is the rest of the line and the paragraphs up to the next
        such line; its source is the mark ("Q", "A") and its cue the colon, stop or dash after it (none when the
        question runs into its mark), as PolNeAR marks them. `extras["interview"]` says which ("question": the
        interviewer's, the outlet's own voice; "answer": the interviewee's). Only in an article with at least two of
        each, so that a lone "A." ("A. Philip Randolph") is never one."""
        lines = list(_INTERVIEW_LINE.finditer(text))
        marks = [m.group("mark").upper() for m in lines]
        if marks.count("A") < 2 or marks.count("Q") < 2:
            return []
        found = []
        for position, line in enumerate(lines):
            # an answer of several paragraphs runs to the next question; the last line keeps its own paragraph
            end = lines[position + 1].start() if position + 1 < len(lines) else line.end("said")
            said = trim(text, line.start("said"), end)
            if said[1] <= said[0] or not any(ch.isalnum() for ch in text[said[0]:said[1]]):
                continue
            separator = line.group("cue").strip()  # ":", ".", "--" or nothing ("QWhat happened?")
            at = line.start("cue") + line.group("cue").index(separator)
            found.append(Candidate(content=[said], source=line.span("mark"),
                                   cue=(at, at + len(separator)) if separator else None, origin="interview",
                                   extras={"interview": "answer" if line.group("mark").upper() == "A" else "question"}))
        return found

    @staticmethod
    def _known_surname(doc: Any, name: Any) -> bool:
        """Whether a run of capitalised words ends with the last word of a person the article names elsewhere (the
        small model tags a surname alone at the head of a line as a common noun)."""
        if not 1 <= len(name) <= 3 or not all(t.text[:1].isupper() and t.is_alpha for t in name):
            return False
        last = name[-1].text
        return any(e.label_ == "PERSON" and e[-1].text == last and len(e) > 1 for e in doc_facts(doc).entities)

    # --- dash lines: 'The West wages a hybrid war, — Russia's top diplomat', a pull quote or an embedded post
    #     followed by a line '— Volodymyr Zelensky (@ZelenskyyUa) May 3, 2024' -----------------------------------
    def dash_lines(self, doc: Any, text: str, describer: Describer) -> list[Candidate]:
        """A line that ends with a dash and who said it, or a line of a dash and a name under a quoted
        paragraph. The name must be a person, an organisation or a definite description, with no verb."""
        found = []
        for line in _DASH_LINE.finditer(text):
            name_start, name_end = trim(text, line.start("name"), line.end("name"))
            handle = line.group("handle")
            said_start, said_end = trim(text, line.start("said"), line.end("said"))
            if line.group("dash") == "-" and said_end > said_start:
                continue  # a hyphen signs only a line of its own ("-Michelle Marks, Philadelphia.")
            if said_end <= said_start and "," in text[name_start:name_end]:
                # a signature with a description after the name: "-President Obama, tweeting after the speech."
                name_end = trim(text, name_start, text.index(",", name_start))[1]
            if said_end - said_start <= 0:
                previous = text[: line.start()].rstrip()
                paragraph_start = max(previous.rfind("\n"), 0)
                said_start, said_end = trim(text, paragraph_start, len(previous))
                if not previous or previous[-1] not in "\"”'»" and not previous.lstrip("\n ").startswith(
                        ("\"", "“", "«")):
                    continue  # only a quoted paragraph (a pull quote, an embedded post) takes its name from below
            if len(text[said_start:said_end].split()) < 3 or not 1 <= len(text[name_start:name_end].split()) <= 8:
                continue
            name = doc.char_span(name_start, name_end, alignment_mode="expand")
            if name is None or any(t.pos_ in ("VERB", "AUX") for t in name):
                continue
            kind = describer.source_kind(doc, (name_start, name_end))[0]
            definite = name[0].lower_ == "the" or any(t.tag_ in ("POS", "PRP$") for t in name)
            if kind not in ("named_person", "named_organization") and not (definite and name.root.pos_ == "NOUN"):
                continue
            dash = line.start("dash")
            channel = (line.start("handle"), line.end("handle")) if handle else None
            found.append(Candidate(content=[(said_start, said_end)], source=(name_start, name_end),
                                   cue=(dash, dash + 1), channel=channel, origin="dash",
                                   extras={"headline": line.start() < 300 and not handle}))
        return found

    # --- "X was quoted by TASS as saying Y", "TASS quoted X as saying Y" ------------------------------------
    def _quoted_as_saying(self, quoted: Any, text: str, regions: list[tuple[int, int]]) -> Candidate | None:
        """The speaker is the one quoted, the outlet that quotes is the channel, the content is what "saying"
        reports; the cue runs from "quoted" (with its auxiliaries) to "saying"."""
        saying = _as_saying(quoted)
        complement = next((c for c in saying.children if c.dep_ in ("ccomp", "dobj", "xcomp")), None)
        if complement is None:
            return None
        passive = next((c for c in quoted.children if c.dep_ == "nsubjpass"), None)
        if passive is not None:  # "X was quoted [by Y] as saying"
            speaker = passive
            agent = next((c for c in quoted.children if c.dep_ == "agent"), None)
            outlet = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
            first = min([quoted, *(c for c in quoted.children if c.dep_ in ("auxpass", "aux") and c.i < quoted.i)],
                        key=lambda t: t.i)
        else:  # "Y quoted X as saying"
            speaker = next((c for c in quoted.children if c.dep_ == "dobj"), None)
            outlet = next((c for c in quoted.children if c.dep_ == "nsubj"), None)
            first = saying.head  # "as saying": the quoting outlet is the subject, outside the cue
        if speaker is None:
            return None
        content = [trim(text, *subtree_range(complement))]
        content = self._with_quotes(saying, content, regions, text)
        return Candidate(content=content, source=trim(text, *subtree_range(speaker)),
                         cue=(first.idx, saying.idx + len(saying.text)), cue_token=quoted,
                         channel=trim(text, *subtree_range(outlet)) if outlet is not None else None,
                         extras={"cue_tokens": [saying.i]})

    # --- "according to X", "according to information relayed to Sputnik by X" ------------------------
    def _according_to(self, according: Any, text: str) -> Candidate | None:
        to = next(child for child in according.children if child.lower_ == "to")
        pobj = next((child for child in to.children if child.dep_ == "pobj"), None)
        if pobj is None:
            return None
        source_token, channel = pobj, None
        cue_end = to.idx + len(to.text)
        if pobj.lemma_.lower() in self.lexicon.relay_nouns:
            verb = next((c for c in pobj.children if c.dep_ == "acl"), None)
            if verb is not None:
                agent = next((c for c in verb.children if c.dep_ == "agent"), None)
                agent_obj = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent else None
                relay_prep = next((c for c in verb.children if c.dep_ in ("prep", "dative") and c.lower_ == "to"), None)
                if agent_obj is not None:
                    source_token = agent_obj
                    cue_end = verb.idx + len(verb.text)
                    if relay_prep is not None:
                        cue_end = relay_prep.idx + len(relay_prep.text)
                        target = next((c for c in relay_prep.children if c.dep_ == "pobj"), None)
                        if target is not None:
                            channel = trim(text, *subtree_range(target))
        phrase = subtree_range(according)
        sentence = according.sent
        clause = trim(text, sentence.start_char, sentence.end_char)
        source = trim(text, *subtree_range(source_token))
        # "According to the Institute for the Study of War, a US-based think tank, ...": the parse often hangs
        # the apposition elsewhere; it describes the source and is no part of the content
        apposition = _APPOSITION.match(text, source[1])
        if apposition is not None and source[1] == phrase[1] and not has_finite_verb(
                according.doc.char_span(apposition.start(1), apposition.end(1), alignment_mode="expand")):
            source = (source[0], apposition.end(1))
            phrase = (phrase[0], apposition.end(1))
        content = _clause_fragments(text, clause, _widen_hole(text, phrase))
        return Candidate(content=content, source=source, cue=(according.idx, cue_end), cue_token=according,
                         channel=channel)


# "Q: ...", "A. ...", "Q -- ...", or a question's first word run into its "Q" ("QWhat happened?")
_INTERVIEW_LINE = re.compile(
    r"(?m)^[ \t]*(?P<mark>[QA])(?P<cue>[ \t]*[:.][ \t]|[ \t]+(?:--|[—–-])[ \t]|(?<=Q)(?=[A-Z][a-z']))"
    r"[ \t]*(?P<said>[^\n]+)$")
_SHOW_FORMS = frozenset({"show", "shows", "showed", "shown", "showing"})
_MODALS = {"will", "would", "could", "can", "may", "might", "should", "must", "shall", "wo", "ca"}
# ", a US-based think tank," right after a source: group 1 is the source with its apposition
_APPOSITION = re.compile(r"(\s*,\s*(?:an?|the)\s[^,;:.\"“”\n]{1,60}?)\s*,\s")


def has_finite_verb(span: Any) -> bool:
    """Whether a span holds a finite verb (None, a span spaCy could not cut, counts as holding one)."""
    return span is None or any("Fin" in t.morph.get("VerbForm") for t in span)


def _shows_a_clause(doc: Any, content: list[tuple[int, int]]) -> bool:
    """Whether what records "show" is a clause: some fragment spaCy can cut holds a finite verb."""
    pieces = [doc.char_span(start, end, alignment_mode="expand") for start, end in content]
    return any(piece is not None and has_finite_verb(piece) for piece in pieces)


# a line (headline, subhead or paragraph) "Name: what was said"
_DASH_LINE = re.compile(
    r"(?m)^[ \t]*(?P<said>[^\n]*?[,.!?\"”'»]?)[ \t]*(?P<dash>[—–]|--|-(?=[ \t]*[A-Z]))[ \t]*"
    r"(?P<name>[^\n—–()@]{2,80}?)"
    r"(?:[ \t]*\((?P<handle>@\w+)\))?(?:[ \t]+\w+\.? \d{1,2}, \d{4})?[ \t]*$")
_COLON_LINE = re.compile(r"(?m)^[ \t]*(?P<name>[^\n:]{2,80}?)[ \t]*(?P<colon>:)[ \t]*(?P<said>[^\n]+)$")


def titles_pattern(titles: set[str], repeat: str) -> re.Pattern[str]:
    """Titles from the lexicon ("Lt. Col. ", "President "), each followed by space, `repeat` times ("+", "*")."""
    words = sorted(titles, key=len, reverse=True)
    return re.compile(r"^(?:(?:{})\.?\s+){}".format("|".join(re.escape(w) for w in words), repeat), re.IGNORECASE)


def _as_saying(quoted: Any) -> Any:
    """The "saying" of "quoted ... as saying" (also "as telling", "as writing"), or None."""
    for preposition in quoted.children:
        if preposition.dep_ == "prep" and preposition.lower_ == "as":
            for child in preposition.children:
                if child.dep_ == "pcomp" and child.lemma_.lower() in ("say", "tell", "write", "state", "add"):
                    return child
    return None


# a quotation whose words end a sentence: '"... plan."', '"Why?"' (closing mark '' or " or ”)
_ENDS_SENTENCE = re.compile(r"[.?!]\s*(''|[\"”»])$")


_RELATIVE = re.compile(r"(who|whom|whose|which|that|where|when)\b", re.IGNORECASE)
# lower-case parts of names ("Ursula von der Leyen", "Ahmed bin Salman")
NAME_PARTICLES = {"von", "van", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "al", "el", "bin",
                  "ibn", "ben"}
_NAME_PARTICLES = NAME_PARTICLES


def _through_head(entity: Any, head: Any) -> Any:
    """A person entity the small model cut short, run on to the head of its noun phrase: the model labels
    "Ursula von der" PERSON and "Leyen" GPE."""
    if entity.end <= head.i < entity.end + 2 and head.pos_ == "PROPN" and all(
        t.pos_ == "PROPN" or t.lower_ in _NAME_PARTICLES for t in entity.doc[entity.end : head.i + 1]
    ):
        return entity.doc[entity.start : head.i + 1]
    return entity


def _has_subject(token: Any) -> bool:
    subjects = ("nsubj", "nsubjpass", "expl", "csubj")
    return token.pos_ in ("VERB", "AUX") and any(c.dep_ in subjects for c in token.children)


def _hole(verb: Any, text: str) -> tuple[int, int]:
    """The "X said" clause inserted in a sentence, with the commas around it."""
    return _widen_hole(text, subtree_range(verb))


def _widen_hole(text: str, hole: tuple[int, int]) -> tuple[int, int]:
    start, end = hole
    while start > 0 and text[start - 1] in " ,—–-":
        start -= 1
    while end < len(text) and text[end] in " ,—–-":
        end += 1
    return start, end


def _merge(pieces: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged and (start <= merged[-1][1] or not any(ch.isalnum() for ch in text[merged[-1][1]:start])):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _plain(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("’", "'").replace("‘", "'")).strip()


def overlaps(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Whether two character ranges share a character (a missing range shares none)."""
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


_BREAKS = frozenset((",", "—", "–", "―", "-", "--", ";", "("))


class DocFacts:
    """What the attribution code asks of a document again and again, read once per document and only when
    asked: its text and entities (spaCy joins every token for `doc.text` and rebuilds `doc.ents` on each access:
    a third of the ranker's time when read per source), where its DATE/TIME entities lie and which tokens are
    commas, dashes, semicolons or brackets (indexing a doc builds a Token object per word)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    @cached_property
    def text(self) -> str:
        return self.doc.text

    @cached_property
    def entities(self) -> tuple[Any, ...]:
        return tuple(self.doc.ents)

    @cached_property
    def date_ranges(self) -> list[tuple[int, int]]:
        return [(e.start_char, e.end_char) for e in self.entities if e.label_ in ("DATE", "TIME")]

    @cached_property
    def breaks(self) -> list[int]:
        return token_indices(self.doc, orth=_BREAKS)


_last_facts: DocFacts | None = None


def doc_facts(doc: Any) -> DocFacts:
    """The facts of `doc`; one document is analysed at a time, so one entry is kept (a dict would keep every
    doc alive)."""
    global _last_facts
    facts = _last_facts
    if facts is None or facts.doc is not doc:
        facts = _last_facts = DocFacts(doc)
    return facts


class Describer:
    """Source kind, speaker (name and role) and channel from the parse and the entities."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    @staticmethod
    def _text(doc: Any) -> str:
        return doc_facts(doc).text

    @staticmethod
    def entities(doc: Any) -> tuple[Any, ...]:
        """`doc.ents`, kept for the document being analysed (`doc_facts`)."""
        return doc_facts(doc).entities

    def span_entities(self, span: Any) -> list[Any]:
        """`span.ents` (the entities wholly inside the span, spaCy's own loop) over the kept entities."""
        found = []
        for entity in self.entities(span.doc):
            if entity.start >= span.start:
                if entity.end <= span.end:
                    found.append(entity)
                else:
                    break
        return found

    @cached_property
    def _title_pattern(self) -> re.Pattern[str]:
        return titles_pattern(self.lexicon.titles, "+")

    def source_kind(self, doc: Any, source: tuple[int, int]) -> tuple[str, Any, Any]:
        """(kind, head token, the PERSON/ORG entity the name comes from) of a source span."""
        span = doc.char_span(*source, alignment_mode="expand")
        if span is None or len(span) == 0:
            return "other", None, None
        head = span.root
        lower = span.text.lower()
        if len(span) == 1 and head.pos_ == "PRON":
            return "pronoun", head, None
        if head.pos_ == "PRON" and head.lower_ in PERSON_PRONOUNS | GROUP_PRONOUNS and head.i == span.start:
            return "pronoun", head, None
        if head.lemma_.lower() in self.lexicon.medium_nouns | self.lexicon.relay_nouns:
            # "A statement from the Russian embassy said": who issued it is what the source is
            issuer = next((g for c in head.children if c.dep_ == "prep" and c.lower_ in ("from", "by", "of")
                           for g in c.children if g.dep_ == "pobj"), None)
            if issuer is not None:
                issued = self.source_kind(doc, subtree_range(issuer))
                if issued[0] in ("named_person", "named_organization", "anonymous"):
                    return issued
        entities = self.span_entities(span)
        people = [e for e in entities if e.label_ == "PERSON"]
        if not people and _share_of_a_group(span, head):
            return "anonymous", head, None
        organisations = [e for e in entities if e.label_ in ("ORG", "GPE", "NORP", "FAC")]
        head_entity = next((e for e in entities if e.start <= head.i < e.end), None)
        if lower in self.lexicon.outlets:
            return "named_organization", head, span
        if head_entity is not None and head_entity.label_ == "PERSON":
            return "named_person", head, head_entity
        if head_entity is not None and head_entity.label_ in ("ORG", "GPE") and self._person_named_as_org(head_entity):
            return "named_person", head, head_entity
        speaking_nouns = (self.lexicon.organization_heads | self.lexicon.medium_nouns | self.lexicon.relay_nouns
                          | self.lexicon.document_nouns)
        if people and head.pos_ == "NOUN" and head.lemma_.lower() not in speaking_nouns and all(
                e.root.dep_ in ("poss", "compound") and e.root.head == head for e in people):
            # "Clinton aides", "Obama's former campaign strategist": the name qualifies someone else
            plural = head.tag_ in ("NNS", "NNPS")
            return ("anonymous" if plural else "other"), head, None
        if people and head.lemma_.lower() not in self.lexicon.organization_heads:
            # "the leader of the DPR, Denis Pushilin" (apposition), "Lt. Col. Andrei Marochko, an officer"
            appositive = [e for e in people if any(t.dep_ == "appos" or t.head == head for t in e)
                          or (e.end >= span.end and e.start > span.start and doc[e.start - 1].text == ",")]
            # "Clinton's introducer, actress Jamie Lee Curtis": the apposed name, not the owner's
            appositive.sort(key=lambda e: e.root.dep_ == "poss")
            # an anonymous head names its person only in apposition ("a spokesman, Dmitry Peskov"), not through a
            # phrase ("judges handling lawsuits against Clinton", "experts, including Mr. Goldberg")
            titled = head.lemma_.lower() in self.lexicon.titles and any(0 < e.start - head.i <= 2 for e in people)
            if appositive or titled:
                return "named_person", head, _through_head((appositive or people)[0], head)
        if head_entity is not None and head_entity.label_ == "ORG" and head.tag_ == "NNS" and head.text.islower() \
                and head.lemma_.lower() not in self.lexicon.organization_heads:
            return "anonymous", head, None  # "the Republican hopefuls": people, whatever label the small NER gives
        if head_entity is not None and head_entity.label_ in ("ORG", "GPE", "FAC"):
            return "named_organization", head, head_entity
        organization_heads = self.lexicon.organization_heads
        anonymous_heads = self.lexicon.anonymous_heads
        anonymous_head = head.lemma_.lower() in anonymous_heads or head.lower_ in anonymous_heads
        if anonymous_head and head.lemma_.lower() not in organization_heads and not people:
            # "a spokesperson for the German government", "officials at the ministry": unnamed people
            return "anonymous", head, None
        if head.lemma_.lower() in organization_heads or (head.tag_ not in ("NNS", "NNPS") and (
                lower.split()[-1] in organization_heads or " ".join(lower.split()[-2:]) in organization_heads)):
            if span[0].lower_ == "the" or organisations or any(t.pos_ == "PROPN" for t in span):
                return "named_organization", head, span
        if head.lemma_.lower() in self.lexicon.anonymous_heads or head.lower_ in self.lexicon.anonymous_heads:
            return "anonymous", head, None
        if head.pos_ == "PROPN" and (head.text[:1].isupper() or head_entity is not None):
            # a lower-case word the small model tagged PROPN ("most referenda see") names no one
            if head_entity is not None and head_entity.label_ == "NORP":
                return "anonymous", head, None
            if head_entity is None and len(span) == 1 and head.lower_.rstrip("s") in self.lexicon.anonymous_heads:
                return "anonymous", head, None  # "Scholars say" at the start of a sentence
            if head_entity is None and len(span) == 1 and head.tag_ == "NNPS" and head.is_sent_start:
                return "other", head, None  # "Records show": a plural common noun capitalised by its place
            # a name after "the" that no title follows is a body's ("the Eurosceptic SVP"), never a person's
            body = head.ent_type_ == "" and span[0].lower_ == "the" and not any(
                t.lower_.rstrip(".") in self.lexicon.titles for t in span[1:head.i - span.start + 1])
            return ("named_person", head, span) if head.ent_type_ in ("", "PERSON") and not body else (
                "named_organization", head, span)
        if organisations and head_entity is not None:
            return "named_organization", head, head_entity
        return "other", head, None

    def _person_named_as_org(self, entity: Any) -> bool:
        """A person the small model labelled ORG or GPE: "Chancellor [Olaf Scholz]", "[Olaf Scholz] said" - a
        name of two to four capitalised words after a title, or opening with a first name of known gender."""
        words = [t for t in entity if t.lower_ not in _NAME_PARTICLES]
        if not 2 <= len(entity) <= 4 or not all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in words):
            return False
        before = entity.doc[entity.start - 1] if entity.start > 0 else None
        titled = before is not None and before.lower_.rstrip(".") in self.lexicon.titles
        # not "Al Qaeda": "al" is a particle before it is a first name
        first_name = entity[0].lower_ not in _NAME_PARTICLES and opens_with_first_name(entity[0].text, entity.label_)
        return titled or first_name

    def speaker(self, doc: Any, source: tuple[int, int], kind: str, name_span: Any,
                joint: bool = False) -> tuple[str, str | None] | None:
        """(name, role) of the source, from the name, the titles before it and its appositions; with `joint`, the
        names coordinated with it in the source too ("Barack Obama and Angela Merkel")."""
        if kind not in ("named_person", "named_organization") or name_span is None:
            return None
        text = self._text(doc)
        joint_name = self._coordinated_names(doc, source, name_span, kind) if joint else None
        if joint_name is not None:
            return _plain(joint_name), None  # "Barack Obama and Angela Merkel said": the two together
        name = _bare_name(name_span.text, kind == "named_organization")
        roles = []
        title = self._title_pattern.match(name)
        if kind == "named_person" and title:
            roles.append(title.group().strip())
            name = name[title.end():]
        if kind == "named_person":
            start, end = source
            before = text[start:name_span.start_char]
            after = text[name_span.end_char:end]
            before_title = self._title_pattern.search(before.strip()) if before.strip() else None
            if before.strip().endswith(","):
                role = re.sub(r"^(the|a|an)\s+", "", before.strip().rstrip(","), flags=re.IGNORECASE)
                if role:
                    roles.insert(0, role.strip())
            elif before.strip() and before_title and before_title.end() == len(before.strip()):
                roles.insert(0, before.strip())
            elif before.strip() and not before.strip().endswith(","):
                bare = re.sub(r"^(the|a|an)\s+", "", before.strip(), flags=re.IGNORECASE)
                if bare and len(bare.split()) <= 6:
                    roles.insert(0, bare)
            if after.strip().startswith(","):
                role = re.sub(r"^(the|a|an)\s+", "", after.strip().lstrip(",").strip().rstrip(","),
                              flags=re.IGNORECASE)
                first = doc.char_span(name_span.end_char, end, alignment_mode="expand")
                first = next((t for t in first if not t.is_punct and not t.is_space), None) if first else None
                participle = first is not None and first.tag_ in ("VBG", "VBN")
                if role and not _RELATIVE.match(role) and not participle:
                    # not "Zelensky, who visited the front" nor "Lavrov, speaking at a press conference"
                    roles.append(role)
        role_text = "; ".join(roles) if roles else None
        # normalised: typographic apostrophes and spaces made plain, so names compare across articles
        return _plain(name), (_plain(role_text) if role_text else None)

    def _coordinated_names(self, doc: Any, source: tuple[int, int], name_span: Any, kind: str) -> str | None:
        """"Barack Obama and Angela Merkel", "Exxon Mobil and Chevron": the names of a source whose name is
        coordinated with other names of its kind inside the source, joined as the text joins them; None for one."""
        span = doc.char_span(*source, alignment_mode="expand")
        if span is None:
            return None
        labels = {"PERSON"} if kind == "named_person" else {"ORG", "GPE"}
        if getattr(name_span, "label_", "") not in labels:
            return None  # the name is the whole phrase ("civil rights groups like the ACLU and ..."), no one name
        entities = [e for e in self.span_entities(span) if e.label_ in labels and e.start != name_span.start]
        # the names joined to this one by "and" or commas, however the parse hangs each name's words
        linked = set(range(name_span.start, name_span.end))
        joined: list[Any] = []
        grew = True
        while grew:
            grew = False
            for entity in entities:
                if entity in joined:
                    continue
                words = set(range(entity.start, entity.end))
                if any(doc[i].dep_ == "conj" and doc[i].head.i in linked for i in words) or any(
                        doc[i].dep_ == "conj" and doc[i].head.i in words for i in linked):
                    joined.append(entity)
                    linked |= words
                    grew = True
        if not joined:
            return None
        names = [_bare_name(e.text, True) for e in sorted([name_span, *joined], key=lambda e: e.start_char)]
        return ", ".join(names[:-1]) + " and " + names[-1]

    def channel(self, doc: Any, candidate: Candidate) -> tuple[int, int] | None:
        """The outlet or medium: "told Reuters", "relayed to Sputnik", "in a statement", "on Telegram"."""
        if candidate.channel is not None:
            return candidate.channel
        verb = candidate.cue_token
        if verb is None:
            return None
        text = self._text(doc)
        if verb.lower_ == "according":
            to = next((c for c in verb.children if c.lower_ == "to"), None)
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
            if pobj is not None and self._is_outlet(pobj):
                return trim(text, *subtree_range(pobj))
            return None
        for child in verb.children:
            if child.dep_ in ("dobj", "dative") and verb.lemma_ in ("tell", "inform") and self._is_outlet(child):
                return trim(text, *subtree_range(child))
            if child.dep_ not in ("prep", "dative"):
                continue
            pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if pobj is None or pobj.ent_type_ in ("DATE", "TIME"):
                continue
            preposition = child.lower_
            if preposition in ("to", "with", "via", "through") and self._is_outlet(pobj):
                return trim(text, *subtree_range(pobj))
            if preposition == "on" and (pobj.text.lower() in self.lexicon.platforms or self._is_outlet(pobj)):
                return trim(text, *subtree_range(pobj))
            medium = pobj.lemma_.lower() in self.lexicon.medium_nouns
            if preposition in ("in", "during", "at", "via", "through") and medium:
                # "in an interview with CNN": the outlet; "in a statement": the medium
                for grandchild in pobj.children:
                    if grandchild.dep_ == "prep" and grandchild.lower_ in ("with", "on", "to"):
                        outlet = next((c for c in grandchild.children if c.dep_ == "pobj"), None)
                        if outlet is not None and self._is_outlet(outlet):
                            return trim(text, *subtree_range(outlet))
                return trim(text, *subtree_range(pobj))
        return None

    def _is_outlet(self, token: Any) -> bool:
        left, right = token.left_edge, token.right_edge
        phrase = token.doc[left.i : right.i + 1].text.lower()
        bare = re.sub(r"^the\s+", "", phrase)
        if phrase in self.lexicon.outlets or bare in self.lexicon.outlets:
            return True
        if token.text.lower() in self.lexicon.platforms:
            return True
        entity_words = {t.lower_ for t in token.doc[left.i : right.i + 1] if t.ent_type_ in ("ORG", "PERSON")}
        return bool(entity_words) and any(word in self.lexicon.outlets for word in entity_words)


_SHARE_NOUNS = {"percent", "majority", "minority", "plurality", "third", "half", "quarter", "share", "handful",
                "number", "lot", "dozens", "hundreds", "thousands", "millions"}


def _share_of_a_group(span: Any, head: Any) -> bool:
    """"78 percent of voters", "One in four voters", "a majority of Republicans", "a group of major donors":
    a part of a group of people, which names nobody."""
    if head.ent_type_ in ("PERCENT", "CARDINAL", "QUANTITY") or head.lemma_.lower() in _SHARE_NOUNS:
        return True
    return head.lemma_.lower() == "group" and span[0].lower_ in ("a", "an") and any(
        child.dep_ == "prep" and child.lower_ == "of" for child in head.children)
