"""Who a source mention stands for: the people and organisations an article names, and the pronouns, relative
pronouns and descriptions that point back at them.

One pass over the parse, in text order, collects mentions: PERSON entities (and names the small model labels
ORG or GPE but that stand as the subject of a speech verb with "he"/"she" nearby, or open with a known first
name or follow a title; and a speaker's name it left unlabelled, see `_untagged_speaking_name`), ORG entities, and
every third-person pronoun, which is resolved as it is met and then counts as a mention of whom it stands for (so
"he ... he ... he" follows one person). Mentions of one person share an entity: same surname and no conflicting
first name ("Hillary Clinton", "Clinton", "Mrs. Clinton"); a bare surname two people share goes to the one
mentioned most. A person whose name gives no gender takes the gender of the "he"/"she" resolved to them, once
two agree and three times as many agree as disagree.

A pronoun goes to the most recent compatible mention: sentences are searched backwards from the pronoun's own
(at most `WINDOW` sentences); in an earlier sentence a subject (or the source of a speech verb) outranks other
mentions, a mention nearer the sentence's root (a main clause) outranks a deeper one, and the later outranks the
earlier; in the pronoun's own sentence the subject of the clause it stands in, or of a clause hanging from its
own, comes first. A name inside a quotation is a candidate only when nothing outside quotations is, and in the
pronoun's own sentence a quoted name is never its antecedent ("'Putin is wrong,' he said"). Compatibility:
"he"/"she" want a person not known to be of the other gender (an unknown gender is never evidence against
either), "it" an organisation, "they" an organisation or nobody (a plural group of people is anonymous). A
"he"/"she" with no antecedent goes to the subject its own or the next sentence names.

A definite description ("the minister", "Russia's top diplomat", "the newspaper") goes to the name it stands in
apposition with ("Clinton, the former secretary of state"; "the treasurer, Tom Baxter"), else to the named entity
the article gives that role: a person named in the last three sentences whose title, apposition or predicate ("...
as the Democratic nominee", "is the governor") carries the description's head noun or one of its role words
(`description_roles` in the lexicon), the one whose roles carry the description's place or party first ("the New
Jersey governor" against a more recent Florida one), else the one sharing most words, else the one the story names
most; a party rules out the other party's people ("the GOP nominee"), and a "his"/"her" in the description's own
clause its gender; else, for a person's head (`person_nouns`, or an age: "the 43-year-old"), the
subject of its own or the two sentences before (three for an age) when the article gives them no other office (any
office goes with a role in a race: a governor may be "the candidate");
else a titled person further back; else, for the heads that name one office in an article ("the nominee", "the
president"), a person the article gives no other office (one whose roles carry the description's place or party,
when someone's do): the latest subject of the last three sentences, else the one mentioned most so far. Heads of
unnamed people ("the official", "the source") name nobody, and so does a coordination ("his staff or the public").
A relation owned by a pronoun ("her friend", "his spokesman") is only the person introduced with that relation to
the same owner ("her friend Carl Dunn"). Organisation heads ("the newspaper", "the court", "the agency") go to the
latest organisation whose name carries the head word or one of its kin words, or the latest news outlet; a generic
one ("the company", "the group", "the board", "the food giant") else to the organisation the passage is about (a
recent subject, the only one just named, or the one the article names most); "the bank's board" to what "the bank"
stands for; "his campaign" to the owner, "Clinton's campaign" and "Kasich's team" to the owner's campaign or team,
"the campaign" ("the administration") to the campaign of the latest owner named with one, else to the campaign of
the person the story is about (the administration of its president). A name
followed by "(" is a dateline place ("New York (AFP) - ..."), never a person, and a name that opens with a first
name or follows an office is a person even when its surname is an outlet word ("Mayor Don Guardian").
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sourcetrace.stages.attribution.person_gender import Gender, first_name_genders, pronoun_gender, speaker_gender
from sourcetrace.stages.attribution.rules import (
    NAME_PARTICLES,
    PLACE_LABELS,
    Lexicon,
    opens_with_first_name,
    select_tokens,
)

WINDOW = 8  # sentences searched back for a pronoun's antecedent
EntityKind = Literal["named_person", "named_organization"]

_MALE_PRONOUNS = {"he", "him", "his", "himself"}
_FEMALE_PRONOUNS = {"she", "her", "hers", "herself"}
_FIRST_PERSON = {"i", "we", "me", "us", "my", "our", "myself", "ourselves"}
_TITLE_STRIP = re.compile(r"^(?:the\s+)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")
_OUTLET_WORDS = {"times", "post", "news", "journal", "herald", "tribune", "gazette", "newspaper", "magazine",
                 "press", "agency", "reuters", "telegraph", "guardian", "daily", "courier", "chronicle", "observer",
                 "inquirer", "bulletin", "dispatch", "weekly", "sentinel"}
_HONORIFICS = {"mr", "mrs", "ms", "dr", "prof", "sir", "father", "rev", "reverend"}
_PLACE_NOUNS = {"city", "town", "village", "capital", "region", "country", "province", "state", "district", "port",
                "island", "republic", "area", "county", "kingdom"}
_SUBJECTS = {"nsubj", "nsubjpass"}
_AGE = re.compile(r"\b\d{1,3}-year-old\b")
_PARTY_KIN = {"gop": ("republican",), "republican": ("gop",), "democratic": ("democrat",), "democrat": ("democratic",)}
_RACE_ROLES = {"candidate", "nominee", "contender", "front-runner", "frontrunner", "hopeful", "challenger"}
_OWNED_GROUP_HEADS = {"team", "camp"}  # "Kasich's team": the people of the one it names, as one speaker
# organisation heads that any organisation of the article may answer to, when no name carries the head word
# verbs whose subject issued their object: "Clinton unveiled her first campaign ad", "the ministry released a report"
_ISSUING_VERBS = {"release", "issue", "publish", "unveil", "put", "post", "send", "file", "run", "air", "launch",
                  "commission", "conduct", "produce", "write"}
# what wire copy calls a company it has named ("Boeing ... The planemaker said")
_BUSINESS_EPITHETS = {"planemaker", "automaker", "carmaker", "drugmaker", "chipmaker", "retailer", "lender",
                      "insurer", "airline", "conglomerate", "manufacturer"}
_GENERIC_ORGANISATION_HEADS = {"company", "firm", "group", "organization", "organisation", "corporation",
                               "nonprofit", "charity", "foundation", "giant", "board"} | _BUSINESS_EPITHETS
# heads that say only what kind of body speaks: "the company" unresolved names no one
_MEDIA_HEADS = {"newspaper", "paper", "outlet", "network", "magazine", "channel", "station", "broadcaster"}
# the common nouns that say only what kind of body speaks, whatever their case ("Newspaper Says ..." in a headline)
GENERIC_BODY_HEADS = frozenset(_GENERIC_ORGANISATION_HEADS | _MEDIA_HEADS)
_IRISH_NAME = re.compile(r"^[A-Z][’'][A-Z]")  # "O’Donnell", which the small model tags as a common noun
_MALE_KIN = {"father", "son", "brother", "husband", "grandson", "grandfather", "uncle", "nephew"}
_FEMALE_KIN = {"mother", "daughter", "sister", "wife", "granddaughter", "grandmother", "aunt", "niece"}
_KIN_NOUNS = _MALE_KIN | _FEMALE_KIN | {"cousin"}
_LINKING = {"the", "of", "and", "for", "on", "in"}  # words an acronym leaves out
# the last word of a body's name, whatever label the small model gave it ("Hillary Clinton Foundation" as PERSON)
_ORGANISATION_NAME_ENDINGS = {"foundation", "party", "committee", "group", "company", "firm", "institute", "council",
                              "union", "agency", "bureau", "coalition", "alliance", "commission", "association",
                              "corporation", "corp", "inc", "llc", "ltd", "management", "partners", "fund",
                              "university", "college", "society", "league", "federation", "ministry", "department"}
_BUSINESS_HEADS = {"company", "firm", "corporation"} | _BUSINESS_EPITHETS
_BUSINESS_NAME_ENDINGS = {"company", "firm", "corporation", "corp", "inc", "llc", "ltd", "group", "partners",
                          "management", "fund", "bank"}
_PERSON_LABELS = {"PERSON"}
_ORG_LABELS = {"ORG"}
_MAYBE_PERSON_LABELS = {"ORG", "GPE", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "LOC"}


@dataclass
class Entity:
    """A person or organisation of the article: its fullest name so far, gender (persons), role words."""

    kind: EntityKind
    name: str
    key: str
    gender: Gender | None = None
    gender_conflict: bool = False
    roles: set[str] = field(default_factory=set)
    role_phrases: list[str] = field(default_factory=list)
    role_text: str | None = None
    mentions: int = 0
    outlet: bool = False
    plural: bool = False  # "the Clintons": a family, never "he" or "she"
    name_quoted: bool = False  # the name so far comes from inside a quotation
    pronouns: dict[str, int] = field(default_factory=dict)  # gender -> "he"/"she" resolved to it so far
    # (role word, key of whom "his"/"her" stood for): "his brother Alastair Osman" is the brother of that one
    owned_roles: set[tuple[str, str]] = field(default_factory=set)

    def first_name(self) -> str | None:
        words = self.name.split()
        return words[0] if len(words) > 1 else None

    def note_gender(self, gender: Gender | None) -> None:
        if gender is None or self.gender_conflict:
            return
        if self.gender is None:
            self.gender = gender
        elif self.gender != gender:
            self.gender, self.gender_conflict = None, True


@dataclass
class Mention:
    start: int
    end: int
    entity: Entity
    sentence: int
    subject: bool
    quoted: bool
    depth: int = 0  # steps from the sentence's root: a main clause's subject outranks an embedded one's
    head: int = -1  # the mention's head token


class ArticleMentions:
    """The mentions of one parsed article and the resolution of its pronouns (see the module docstring)."""

    def __init__(self, doc: Any, text: str, regions: Sequence[tuple[int, int]], lexicon: Lexicon,
                 speech_subjects: Sequence[tuple[int, int]] = ()) -> None:
        self.doc, self.text, self.lexicon = doc, text, lexicon
        self._region_starts = [s for s, _ in regions]
        self._regions = list(regions)
        self._sentence_starts = [sentence.start_char for sentence in doc.sents]
        self.entities: list[Entity] = []
        self.mentions: list[Mention] = []
        self.resolved: dict[int, Mention | None] = {}  # pronoun token index -> its antecedent
        self._speech_subjects = sorted(speech_subjects)
        self._issuers: dict[str, str] = {}  # document noun -> the issuer of its latest named instance
        self._documents: list[tuple[int, str, str]] | None = None  # see _issued_documents
        self._entity_tokens: list[tuple[Any, list[Any]]] | None = None
        self._collect()

    # --- positions -----------------------------------------------------------------------------------------
    def quoted(self, position: int) -> bool:
        index = bisect_right(self._region_starts, position) - 1
        return index >= 0 and self._regions[index][0] <= position < self._regions[index][1]

    def sentence_of(self, position: int) -> int:
        return max(0, bisect_right(self._sentence_starts, position) - 1)

    # --- collecting ----------------------------------------------------------------------------------------
    def _collect(self) -> None:
        doc = self.doc
        pronoun_words = _MALE_PRONOUNS | _FEMALE_PRONOUNS | {"it", "they", "who", "which"}
        entity_at: dict[int, Any] = {}
        for entity in doc.ents:
            entity_at[entity.start] = entity
        for start, end in self._speech_subjects:
            # an outlet that speaks but that the small model did not label ("The Daily Courier reported")
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or any(t.ent_type_ for t in span):
                continue
            words = {t.lower_ for t in span if t.pos_ == "PROPN"}
            if words & _OUTLET_WORDS and span.start not in entity_at:
                entity_at[span.start] = span
                continue
            name = self._untagged_speaking_name(span)
            if name is not None and name.start not in entity_at:
                entity_at[name.start] = name
        entity_at.update(self._untagged_surnames(entity_at))
        token_index = 0
        while token_index < len(doc):
            entity = entity_at.get(token_index)
            if entity is not None:
                self._add_entity_mention(entity)
                token_index = entity.end
                continue
            token = doc[token_index]
            if token.lower_ in pronoun_words and token.pos_ == "PRON":
                resolved = self._resolve_token(token)
                self.resolved[token.i] = resolved
                if resolved is not None:
                    self._add_mention(token.idx, token.idx + len(token.text), resolved.entity, token)
                    if token.lower_ in ("he", "she") and not self.quoted(token.idx):
                        self._learn_gender(resolved.entity, pronoun_gender(token.lower_))
            token_index += 1

    def _untagged_surnames(self, entity_at: dict[int, Any]) -> dict[int, Any]:
        """Surnames the small model left without a label anywhere ("Walsh still has the final say" after
        "Governor Anna Walsh"), as PERSON spans by their token: a capitalised proper noun standing alone that is
        the last word of a person's full name in the article."""
        from spacy.tokens import Span as SpacySpan

        doc = self.doc
        surnames = {e[-1].text for e in doc.ents if e.label_ == "PERSON" and len(e) >= 2}
        found = {}
        for token in select_tokens(doc, orth=frozenset(surnames)):
            if token.ent_type_ or token.pos_ != "PROPN" or token.i in entity_at:
                continue
            before = doc[token.i - 1] if token.i > 0 else None
            after = doc[token.i + 1] if token.i + 1 < len(doc) else None
            if (before is not None and before.pos_ == "PROPN") or (after is not None and after.pos_ == "PROPN"):
                continue  # part of a longer name ("Walsh Street")
            found[token.i] = SpacySpan(doc, token.i, token.i + 1, label="PERSON")
        return found

    def _untagged_speaking_name(self, span: Any) -> Any:
        """A speaker's name the small model left without a label ("Gorka said", "Braynard added"): the
        capitalised proper nouns heading a speech verb's subject, taken as a person when they open with a known
        first name, when the article names a person with that surname, or when "he"/"she" follows close by."""
        from spacy.tokens import Span as SpacySpan

        root = span.root
        if root.pos_ != "PROPN" or root.tag_ == "NNPS" or not root.text[:1].isupper():
            return None
        first = root.i
        while first > span.start and span.doc[first - 1].pos_ == "PROPN" and span.doc[first - 1].dep_ == "compound":
            first -= 1
        words = span.doc[first: root.i + 1]
        if any(t.ent_type_ or not t.text[:1].isupper() for t in words) or len(words) > 3:
            return None
        lowered = {t.lower_ for t in words}
        if lowered & (_OUTLET_WORDS | self.lexicon.organization_heads | self.lexicon.titles) \
                or words.text.lower() in self.lexicon.outlets:
            return None
        doc = span.doc
        known_surname = any(e.label_ == "PERSON" and e[-1].text == root.text for e in doc.ents)
        first_name = len(words) >= 2 and words[0].text in first_name_genders()
        after = doc[root.i + 1: min(len(doc), root.i + 40)]
        pronoun_near = any(t.lower_ in ("he", "she") for t in after)
        if not (known_surname or first_name or pronoun_near):
            return None
        return SpacySpan(doc, words.start, words.end, label="PERSON")

    @staticmethod
    def _learn_gender(entity: Entity, gender: Gender | None) -> None:
        """A person whose name does not tell ("Hillary Clinton") takes the gender of the subject pronouns outside
        quotations that stand for them, once two agree and at least three times as many agree as disagree (one
        pronoun resolved wrongly does not leave a person without gender for the rest of the article)."""
        if gender is None or entity.kind != "named_person" or entity.plural or entity.gender is not None:
            return
        entity.pronouns[gender] = entity.pronouns.get(gender, 0) + 1
        others = sum(count for other, count in entity.pronouns.items() if other != gender)
        if entity.pronouns[gender] >= 2 and entity.pronouns[gender] >= 3 * others:
            entity.note_gender(gender)

    def _is_person_entity(self, entity: Any) -> bool:
        if entity.label_ in _PERSON_LABELS:
            return True
        if entity.label_ not in _MAYBE_PERSON_LABELS or not 1 <= len(entity) <= 4:
            return False
        if entity.end < len(entity.doc) and entity.doc[entity.end].text == "(":
            return False  # a dateline, "New York (AFP) - Oscar-winning actress ...": the place, not the person after it
        words = [t for t in entity if t.lower_ not in ("'s", "’s")]
        if not words or not all((t.pos_ == "PROPN" or _IRISH_NAME.match(t.text)) and t.text[:1].isupper()
                                for t in words):
            return False
        if self._bare_known_surname(entity):
            return True  # a bare "Guardian" after "Mayor Don Guardian", though "Guardian" names an outlet too
        if entity.text.lower() in self.lexicon.outlets or words[-1].lower_ in self.lexicon.organization_heads:
            return False
        key = _POSSESSIVE.sub("", words[-1].text).lower()
        if any(e.kind == "named_person" and not e.plural and e.key == key for e in self.entities):
            return True  # "Trump" tagged ORG after "Donald Trump"
        before = entity.doc[entity.start - 1] if entity.start > 0 else None
        if before is not None and before.lower_.rstrip(".") in self.lexicon.titles and len(words) >= 2:
            return True
        if len(words) >= 2 and opens_with_first_name(words[0].text, entity.label_):
            return True
        root = entity.root
        if len(words) < 2:
            return False  # "Berlin agreed": a one-word place or body that speaks is a metonym
        # a name with a person's apposition: "Temitope Adeyemi, a market trader"
        appositions = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
        if any(c.lemma_.lower() not in self.lexicon.organization_heads | _PLACE_NOUNS for c in appositions):
            return True
        # a name that speaks, with a person's pronoun close by: the subject of a speech verb ("Olena Marchuk said");
        # not a place the model labelled as one ("North Korea said ... He said" is someone else)
        if entity.label_ not in PLACE_LABELS and root.dep_ in _SUBJECTS \
                and root.head.lemma_.lower() in self.lexicon.cue_verbs:
            # the person is taken up again after the name ("Olena Marchuk said ... She said"); a pronoun before it,
            # or a possessive, is more often someone else's ("Clinton ... she ... Judicial Watch stated")
            window = entity.doc[entity.end: min(len(entity.doc), entity.end + 40)]
            return any(t.lower_ in ("he", "she") for t in window)
        return False

    def _is_outlet_name(self, entity: Any) -> bool:
        """"The Daily Courier", "The New York Times" whatever label the small model gave them."""
        if self._bare_known_surname(entity):
            return False  # a bare "Guardian" after "Mayor Don Guardian": the mayor again
        name = _TITLE_STRIP.sub("", entity.text.strip()).lower()
        after_the = entity.start > 0 and entity.doc[entity.start - 1].lower_ == "the"
        if name in self.lexicon.outlets or (after_the and f"the {name}" in self.lexicon.outlets):
            return True  # "The Hill", though the small model labels "Hill" a person
        if self._titled_or_first_named(entity):
            return False  # "Mayor Don Guardian": a person whose surname is an outlet word
        words = set(re.findall(r"[a-z]+", name))
        label = getattr(entity, "label_", "")
        return label in ("ORG", "WORK_OF_ART", "PERSON", "FAC", "PRODUCT", "") and bool(words & _OUTLET_WORDS) \
            and entity.text[:1].isupper()

    def _bare_known_surname(self, entity: Any) -> bool:
        """One capitalised word, with no "the" before it, that is the surname of a person the article has named
        ("Guardian" after "Mayor Don Guardian"; not "The Guardian")."""
        words = [t for t in entity if t.is_alpha]
        previous = entity.doc[entity.start - 1].lower_ if entity.start > 0 else ""
        if len(words) != 1 or not words[0].text[:1].isupper() or "the" in (entity[0].lower_, previous):
            return False
        key = words[0].lower_
        return any(e.kind == "named_person" and not e.plural and e.key == key for e in self.entities)

    def _titled_or_first_named(self, entity: Any) -> bool:
        """A name of two or more words that opens with a known first name or follows a title."""
        words = [t for t in entity if t.is_alpha]
        if len(words) < 2 or not all(t.text[:1].isupper() for t in words):
            return False
        before = entity.doc[entity.start - 1] if entity.start > 0 else None
        titled = before is not None and before.lower_.rstrip(".") in self.lexicon.titles - _HONORIFICS
        return titled or opens_with_first_name(words[0].text, entity.label_)

    def _is_labelled_person_body(self, entity: Any) -> bool:
        """A name the small model labels PERSON that the text shows to be a body: its last word is one a body's
        name ends with ("Hillary Clinton Foundation"), or it stands in apposition with one ("Autism Speaks, an
        advocacy group", "the advocacy group Autism Speaks")."""
        if entity.label_ not in _PERSON_LABELS:
            return False
        words = [t for t in entity if t.is_alpha]
        if len(words) >= 2 and words[-1].text[:1].isupper() and words[-1].lower_ in _ORGANISATION_NAME_ENDINGS:
            return True
        return any(c.lemma_.lower() in self.lexicon.organization_heads | _GENERIC_ORGANISATION_HEADS
                   for c in _apposed_nouns(entity))

    def _add_entity_mention(self, entity: Any) -> None:
        if self._is_outlet_name(entity) or self._is_labelled_person_body(entity):
            found = self._organisation(entity)
        elif self._is_person_entity(entity):
            found = self._person(entity)
        elif entity.label_ in _ORG_LABELS:
            found = self._organisation(entity)
        else:
            return
        if found is not None:
            self._add_mention(entity.start_char, entity.end_char, found, entity.root)
            if found.kind == "named_person" and not found.plural:
                self._add_pair(entity, found)

    def _add_pair(self, entity: Any, second: Entity) -> None:
        """"Obama and Hillary Clinton": the two together are one more mention, for "they"."""
        root = entity.root
        if root.dep_ != "conj" or root.head.i >= entity.start or len(self.mentions) < 2:
            return
        first = self.mentions[-2]
        if first.entity.kind != "named_person" or first.entity.plural or not (
                first.start <= root.head.idx < first.end):
            return
        key = f"{first.entity.key}+{second.key}"
        pair = next((e for e in self.entities if e.key == key), None)
        if pair is None:
            pair = Entity(kind="named_person", name=f"{first.entity.name} and {second.name}", key=key, plural=True)
            self.entities.append(pair)
        self._add_mention(first.start, entity.end_char, pair, root.head)

    def _add_mention(self, start: int, end: int, entity: Entity, head: Any) -> None:
        entity.mentions += 1
        subject = head.dep_ in _SUBJECTS or any(s <= start < e for s, e in self._speech_subjects)
        depth, token = 0, head
        while token.head.i != token.i and depth < 20:
            token, depth = token.head, depth + 1
        self.mentions.append(Mention(start, end, entity, self.sentence_of(start), subject, self.quoted(start),
                                     depth, head.i))

    def _person(self, entity: Any) -> Entity | None:
        words = [t.text for t in entity if t.lower_ not in ("'s", "’s") and not t.is_punct]
        after = entity.doc[entity.end] if entity.end < len(entity.doc) else None
        if words and words[-1].lower() in NAME_PARTICLES and after is not None and after.pos_ == "PROPN":
            words.append(after.text)  # "Ursula von der" + "Leyen", which the small model cuts apart
        while words and words[0].lower().rstrip(".") in self.lexicon.titles:
            words = words[1:]
        if not words:
            return None
        name = _POSSESSIVE.sub("", " ".join(words)).strip()
        key = _POSSESSIVE.sub("", words[-1]).lower()
        if not key:
            return None
        before = entity.doc[entity.start - 1] if entity.start > 0 else None
        # "the Clintons", but not "the Sanders camp", whose "the" is the camp's
        if len(words) == 1 and key.endswith("s") and entity.root.dep_ != "compound" and (
                entity[0].lower_ == "the" or (before is not None and before.lower_ == "the")):
            family = next((e for e in self.entities if e.plural and e.key == key), None)
            if family is None:
                family = Entity(kind="named_person", name=name, key=key, plural=True)
                self.entities.append(family)
            return family
        left = entity.root.left_edge.i if entity.root.left_edge.i < entity.start else entity.start
        mention_text = entity.doc[left: entity.end].text
        roles = self._role_words(entity)
        gender = speaker_gender(name, mention_text, " ".join(roles), self.lexicon.male_words,
                                self.lexicon.female_words)
        first = words[0] if len(words) > 1 else None
        matches = []
        for candidate in reversed(self.entities):
            if candidate.kind != "named_person" or candidate.key != key or candidate.plural:
                continue
            other_first = candidate.first_name()
            if first and other_first and first.rstrip(".") != other_first.rstrip(".") and not (
                    first[0] == other_first[0] and (first.endswith(".") or other_first.endswith("."))):
                continue  # "Bill Clinton" is not "Hillary Clinton"
            if gender and candidate.gender and gender != candidate.gender and first is None:
                continue  # "Mrs. Clinton" after "Bill Clinton"
            matches.append(candidate)
        # a bare "Sanders" in a story about Bernie Sanders that also names Jane Sanders: the one it is about
        match = max(matches, key=lambda e: e.mentions) if first is None and matches else \
            (matches[0] if matches else None)
        if match is None and first is None:
            # "Jerome" after "Jerome Arthur Siegel": a first name alone is the one person named with it
            by_first = {id(e): e for e in self.entities if e.kind == "named_person" and not e.plural
                        and e.first_name() == name}
            if len(by_first) == 1:
                return next(iter(by_first.values()))
        # a name inside a quotation is the speaker's wording ("Crooked Hillary Clinton"): it names the person only
        # until the article's own words do
        quoted = self.quoted(entity.start_char)
        if match is None:
            match = Entity(kind="named_person", name=name, key=key, name_quoted=quoted)
            self.entities.append(match)
        elif (len(name.split()) > len(match.name.split()) and (match.name_quoted or not quoted)) or (
                match.name_quoted and not quoted and len(name.split()) > 1):
            match.name, match.name_quoted = name, quoted
        match.note_gender(gender)
        if roles:
            match.roles |= roles
            match.role_phrases.append(" ".join(self._role_sequence(entity)))
            match.role_text = match.role_text or self._role_text(entity)
            # "his brother Alastair Osman", "her friend, Carl Dunn"
            near = list(entity.doc[entity.root.left_edge.i: entity.start])
            if entity.root.dep_ == "appos":
                near += [c for c in entity.root.head.children if c.dep_ == "poss"]
            owner = next((t for t in near if t.tag_ == "PRP$"), None)
            owner_mention = self.resolved.get(owner.i) if owner is not None else None
            if owner_mention is not None:
                match.owned_roles |= {(word, owner_mention.entity.key) for word in roles}
        return match

    def _organisation(self, entity: Any) -> Entity | None:
        name = _POSSESSIVE.sub("", _TITLE_STRIP.sub("", entity.text.strip())).strip()
        key = name.lower()
        if not name or key in GENERIC_BODY_HEADS:
            return None  # a headline's capitalised "Newspaper" or "Company" names no one
        match = next((e for e in reversed(self.entities) if e.kind == "named_organization" and e.key == key), None)
        if match is None:
            outlet = key in self.lexicon.outlets or bool(set(key.split()) & _OUTLET_WORDS)
            match = Entity(kind="named_organization", name=name, key=key, outlet=outlet)
            self.entities.append(match)
        match.roles |= {w.lower() for w in re.findall(r"[A-Za-z]+", name)}
        match.roles |= self._body_kind_words(entity)
        return match

    @staticmethod
    def _body_kind_words(entity: Any) -> set[str]:
        """The common nouns a body's apposition calls it: "Judicial Watch, a conservative watchdog group" is a
        "group" and a "watchdog"; "the advocacy group Autism Speaks" an "advocacy" "group"."""
        words: set[str] = set()
        for head in _apposed_nouns(entity):
            words.add(head.lemma_.lower())
            words |= {c.lemma_.lower() for c in head.children if c.dep_ == "compound" and c.pos_ == "NOUN"}
        return words

    def _role_words(self, entity: Any) -> set[str]:
        return set(self._role_sequence(entity))

    def _role_sequence(self, entity: Any) -> list[str]:
        """Lower-case words of the titles before a name and of its appositions ("Foreign Minister Sergei
        Lavrov", "Lavrov, Russia's top diplomat", "the minister, Sergei Lavrov")."""
        words: list[str] = []
        doc = entity.doc
        root = entity.root
        for token in doc[root.left_edge.i: entity.start]:
            if token.text.rstrip(".").isalpha():
                words.append(token.lower_.rstrip("."))  # "Gov." is "gov"
        phrases = [c for c in root.children if c.dep_ == "appos"]
        if root.dep_ == "appos":
            phrases.append(root.head)
        if root.dep_ in _SUBJECTS:
            # "Clinton accepted the nomination as the Democratic nominee", "Perry is the former governor": the
            # words up to the predicate's head noun
            verb = root.head
            predicates = []
            for child in [*verb.children, *(c for d in verb.children if d.dep_ == "dobj" for c in d.children)]:
                if child.dep_ == "attr" and verb.lemma_ == "be":
                    predicates.append(child)
                elif child.dep_ == "prep" and child.lower_ == "as":
                    predicates += [g for g in child.children if g.dep_ == "pobj"]
            for noun in predicates:
                if noun.pos_ == "NOUN" and any(d.lower_ == "the" for d in noun.children):
                    words += [t.lower_ for t in doc[noun.left_edge.i: noun.i + 1] if t.is_alpha]
        for phrase in phrases:
            for token in phrase.subtree:
                if token.is_alpha and not (entity.start <= token.i < entity.end):
                    words.append(token.lower_)
        return [w for w in words if w not in ("the", "a", "an", "and", "s")]

    def _role_text(self, entity: Any) -> str | None:
        root = entity.root
        phrases = [c for c in root.children if c.dep_ == "appos"]
        if phrases:
            return " ".join(t.text for t in phrases[0].subtree if not (entity.start <= t.i < entity.end)).strip(" ,")
        return None

    # --- resolving -----------------------------------------------------------------------------------------
    def _resolve_token(self, token: Any) -> Mention | None:
        word = token.lower_
        if word in ("who", "which"):
            return self._relative(token)
        if word in _MALE_PRONOUNS | _FEMALE_PRONOUNS:
            return self._antecedent(token.idx, "named_person", pronoun_gender(word),
                                    not_entity=self._own_clause_subject(token))
        if word == "it":
            return self._antecedent(token.idx, "named_organization", None, window=3, blocked_by_things=True)
        if word == "they":
            return self._antecedent(token.idx, "named_organization", None, window=3, blocked_by_things=True,
                                    blocked_by_groups=True)
        return None

    def _own_clause_subject(self, token: Any) -> Entity | None:
        """Whom an object "him"/"her" cannot stand for: the subject of its own clause ("had Clinton congratulated
        him": not Clinton, who would be "herself")."""
        if token.dep_ not in ("dobj", "dative", "pobj") or token.tag_ == "PRP$":
            return None
        verb = token.head.head if token.dep_ == "pobj" else token.head
        if verb.pos_ not in ("VERB", "AUX"):
            return None
        subject = next((c for c in verb.children if c.dep_ in _SUBJECTS), None)
        if subject is None:
            return None
        if subject.i in self.resolved:
            found = self.resolved[subject.i]
            return found.entity if found is not None else None
        return next((m.entity for m in reversed(self.mentions) if m.start <= subject.idx < m.end), None)

    def _relative(self, token: Any) -> Mention | None:
        """"Smith, who said ..." is Smith; "people who said" is nobody the article names."""
        verb = token.head
        if verb.dep_ != "relcl":
            # a parse that did not attach the clause: "McConnell, who" is McConnell when the name stands right before
            previous = token.nbor(-1) if token.i > 0 else None
            if previous is not None and previous.text == "," and previous.i > 0:
                previous = previous.nbor(-1)
            if previous is None:
                return None
            return next((m for m in reversed(self.mentions) if m.start <= previous.idx < m.end), None)
        antecedent = verb.head
        for mention in reversed(self.mentions):
            if mention.start <= antecedent.idx < mention.end:
                return mention
            if mention.end < antecedent.idx - 200:
                break
        return None

    def _antecedent(self, position: int, kind: EntityKind, gender: Gender | None, window: int = WINDOW,
                    exclude: Sequence[tuple[int, int]] = (), blocked_by_things: bool = False,
                    blocked_by_groups: bool = False, not_entity: Entity | None = None) -> Mention | None:
        own_sentence = self.sentence_of(position)
        own_quoted = self.quoted(position)
        earlier = [m for m in self.mentions if m.start < position and m.sentence > own_sentence - window
                   and not any(s <= m.start < e for s, e in exclude)]
        if blocked_by_things:
            blocker = self._latest_other_subject(position, own_sentence, blocked_by_groups)
            if blocker is not None:
                # after the blocker, or in its sentence only as a subject ("These Republicans don't revile
                # Planned Parenthood. They ...": the Republicans)
                blocker_sentence = self.sentence_of(blocker)
                earlier = [m for m in earlier if m.start > blocker
                           and (m.sentence != blocker_sentence or m.subject)]

        def compatible(mention: Mention) -> bool:
            entity = mention.entity
            if entity is not_entity:
                return False
            if blocked_by_groups and entity.plural:
                return True  # "they" for "the Clintons", "Obama and Hillary Clinton"
            if entity.kind != kind or (entity.plural and gender is not None):
                return False
            return gender is None or entity.gender is None or entity.gender == gender

        candidates = [m for m in earlier if compatible(m)]
        if not own_quoted:
            candidates = [m for m in candidates if not (m.quoted and m.sentence == own_sentence)]
        unquoted = [m for m in candidates if not m.quoted]
        pool = unquoted if unquoted or not own_quoted else candidates
        if not pool and not own_quoted:
            pool = candidates
        if not pool:
            return None
        latest_sentence = max(m.sentence for m in pool)
        in_sentence = [m for m in pool if m.sentence == latest_sentence]
        if latest_sentence == own_sentence:
            local = self._clause_antecedent(position, in_sentence)
            if local is not None:
                return local
        return max(in_sentence, key=lambda m: (m.subject, -m.depth, m.start))

    def _clause_antecedent(self, position: int, candidates: Sequence[Mention]) -> Mention | None:
        """In the pronoun's own sentence, the subject of the clause the pronoun stands in ("Christie was asked
        about his plans": Christie, not the main clause's "Trump was heard ..."), else the subject of a clause
        that hangs from the pronoun's ("while Comey spoke, he said": Comey)."""
        span = self.doc.char_span(position, position + 1, alignment_mode="expand")
        if span is None:
            return None
        pronoun = span[0]
        ancestors = {t.i: depth for depth, t in enumerate(pronoun.ancestors)}
        verb = next((t for t in [pronoun, *pronoun.ancestors] if t.pos_ in ("VERB", "AUX")
                     and t.i != pronoun.i), None)
        enclosing: list[tuple[int, Mention]] = []
        hanging: list[Mention] = []
        for mention in candidates:
            if not mention.subject or mention.head < 0:
                continue
            governor = self.doc[mention.head].head
            if governor.i in ancestors and governor.i != mention.head:
                enclosing.append((ancestors[governor.i], mention))
            elif verb is not None and governor.head.i == verb.i and governor.dep_ == "advcl" \
                    and governor.i < pronoun.i:
                hanging.append(mention)
        if enclosing:
            return min(enclosing, key=lambda pair: (pair[0], -pair[1].start))[1]
        if hanging:
            return max(hanging, key=lambda m: m.start)
        return None

    def _latest_other_subject(self, position: int, own_sentence: int, groups: bool) -> int | None:
        """The start of the latest subject before `position` (within two sentences) that is a thing or, with
        `groups`, a plural group of people and not a named organisation: "it" and "they" stand for it, and it
        names nobody."""
        doc = self.doc
        span = doc.char_span(self._sentence_starts[max(0, own_sentence - 2)], position, alignment_mode="expand")
        if span is None:
            return None
        latest = None
        for token in span:
            if groups and token.lower_ == "they" and token.dep_ in _SUBJECTS and token.i in self.resolved \
                    and self.resolved[token.i] is None:
                latest = token.idx  # "They are ... They have ...": the same unnamed group goes on
                continue
            if groups and token.tag_ == "NNS" and token.pos_ == "NOUN" and not token.ent_type_ and \
                    token.lemma_.lower() not in self.lexicon.organization_heads and \
                    self.sentence_of(token.idx) == own_sentence:
                latest = token.idx  # "Time ... surveyed readers as to who they would like": the readers
                continue
            if token.dep_ not in _SUBJECTS or token.pos_ not in ("NOUN", "PROPN") or token.ent_type_ == "ORG":
                continue
            if token.pos_ == "PROPN" and not (groups and token.tag_ == "NNPS" and token.ent_type_ in ("NORP", "")):
                continue  # a name, except a plural group of people for "they" ("Republicans")
            if token.tag_ in ("NNS", "NNPS") and not groups:
                continue
            if token.lemma_.lower() in self.lexicon.organization_heads and token.tag_ != "NNS":
                continue  # "the ministry" may be the organisation named before it; "the groups" are unnamed
            latest = token.idx
        return latest

    # --- what the stage asks -------------------------------------------------------------------------------
    def pronoun(self, start: int, end: int, exclude: Sequence[tuple[int, int]] = ()) -> tuple[bool, Mention | None]:
        """(whether the span is a pronoun this resolver answers for, the mention it stands for)."""
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return False, None
        token = span[0] if len(span) == 1 else span.root
        word = token.lower_
        if word in _FIRST_PERSON or word in ("you", "them", "those", "some", "someone"):
            return True, None
        if word in _MALE_PRONOUNS | _FEMALE_PRONOUNS:
            found = self._antecedent(token.idx, "named_person", pronoun_gender(word), exclude=exclude) \
                if exclude else self.resolved.get(token.i)
            return True, found if found is not None else self._postcedent(token.idx, pronoun_gender(word),
                                                                          exclude)
        if token.i in self.resolved:
            return True, self.resolved[token.i]
        return False, None

    def main_person(self, before: int) -> Mention | None:
        """The person the story is about, for an interview's answers: the one named most (with the pronouns
        resolved to them) outside quotations before `before`, else in the whole article; None when two tie."""
        for limit in (before, len(self.text)):
            counts: dict[int, list[Mention]] = {}
            for mention in self.mentions:
                entity = mention.entity
                if mention.start < limit and entity.kind == "named_person" and not entity.plural \
                        and not mention.quoted:
                    counts.setdefault(id(entity), []).append(mention)
            ranked = sorted(counts.values(), key=len, reverse=True)
            if ranked and (len(ranked) == 1 or len(ranked[0]) > len(ranked[1])):
                return ranked[0][0]
        return None

    def _postcedent(self, position: int, gender: Gender | None,
                    exclude: Sequence[tuple[int, int]] = ()) -> Mention | None:
        """A "he"/"she" with no antecedent: the person its own or the next sentence names as a subject outside
        quotations ("After she left the court, Judge Maria Ortiz said ...")."""
        own_sentence = self.sentence_of(position)
        for mention in self.mentions:
            if mention.start <= position or any(s <= mention.start < e for s, e in exclude):
                continue
            if mention.sentence > own_sentence + 1:
                return None
            entity = mention.entity
            if entity.kind == "named_person" and not entity.plural and mention.subject and not mention.quoted \
                    and (gender is None or entity.gender in (None, gender)):
                return mention
        return None

    def description(self, doc: Any, start: int, end: int, anywhere: bool = False) -> Mention | None:
        """The named person or organisation a definite description stands for (see the module docstring)."""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return None
        head = span.root
        first = span[0]
        # a possessive makes it definite; the parser may tag a bare "’" after "Sanders" as a closing quote
        definite = first.lower_ in ("the", "this", "that") or first.tag_ == "PRP$" or any(
            t.tag_ == "POS" or (t.dep_ == "case" and t.text in ("'", "’")) for t in span if t.i < head.i)
        # "the 43-year-old": a person, whatever the parse makes the head
        aged = bool(_AGE.search(span.text)) and head.lower_ == "old"
        if not definite or head.tag_ in ("NNS", "NNPS") or (head.pos_ not in ("NOUN", "PROPN") and not aged):
            return None
        beside = self._apposed_name(head, span)
        if beside is not None:
            return beside
        lemma = head.lemma_.lower()
        joined = _hyphenated(head, span)
        if joined is not None and joined in self.lexicon.person_nouns | self.lexicon.description_roles.keys():
            lemma = joined
        # "his", "Clinton's", or "Sanders’" that the parser hangs as a modifier with a closing quote
        owner_token = next((t for t in span if t.head == head and t.i < head.i and (t.dep_ == "poss" or any(
            c.dep_ == "case" and c.text in ("'", "’") for c in t.children))), None)
        if owner_token is None and lemma in _OWNED_GROUP_HEADS:
            # "the Clinton team", "the Sanders camp": a name as modifier owns the group as a possessive does
            owner_token = next((t for t in span if t.head == head and t.dep_ == "compound" and t.pos_ == "PROPN"),
                               None)
        if lemma in _PLACE_NOUNS:
            # "the state", "the city": a place, never a person with "State" in a title
            return self._recent_place(doc, start) if first.lower_ == "the" and owner_token is None else None
        heads = {lemma} | {t.lemma_.lower() for t in head.conjuncts if t.pos_ == "NOUN" and t.i < span.end}
        conjuncts = [t for t in head.conjuncts if span.start <= t.i < span.end]
        one_person = conjuncts and all(
            not any(c.dep_ in ("det", "poss") for c in t.children) and t.lemma_.lower() in self.lexicon.person_nouns
            for t in conjuncts) and lemma in self.lexicon.person_nouns
        if any(t.dep_ == "cc" and t.head == head for t in span) and not one_person:
            return None  # "his staff or the public": more than one; "the former first lady and senator" is one
        words = {t.lower_ for t in span if t.is_alpha and t.i != first.i}
        # a headline's "— Russia's top diplomat" names someone the article introduces below it
        earlier = [m for m in self.mentions if m.start < start or (anywhere and m.start >= end)]
        roles = self.lexicon.description_roles
        # the owner a possessive names: "his" (a pronoun) or "Clinton's" (a name)
        owner: Mention | None = None
        if owner_token is not None and owner_token.tag_ == "PRP$":
            owner = self.resolved.get(owner_token.i)
        elif owner_token is not None:
            owner = next((m for m in self.mentions if m.start <= owner_token.idx < m.end), None) or self.surname(
                owner_token.idx, owner_token.idx + len(owner_token.text))  # "Sanders' team": "Sanders" untagged
        if lemma in _OWNED_GROUP_HEADS and owner is not None and owner.entity.kind == "named_person" \
                and not owner.entity.plural:
            # "Kasich's team" as "Kasich team"; "the Sanders camp" is his campaign
            group = "campaign" if lemma == "camp" else lemma
            return owner if owner_token.tag_ == "PRP$" else self._owned_organisation(owner, group)
        if lemma in self.lexicon.organization_heads or lemma in ("paper", "newspaper", "outlet", "network"):
            if owner_token is not None and owner_token.tag_ == "PRP$":
                return owner  # "his campaign": the campaign of whom "his" stands for
            if owner is not None and owner.entity.kind == "named_person" and not owner.entity.plural:
                return self._owned_organisation(owner, lemma)  # "Clinton's campaign"
            wanted_outlet = lemma in ("newspaper", "paper", "outlet", "network", "magazine", "agency", "channel",
                                      "station") or (lemma in ("service", "site", "website", "organization") and any(
                                          c.lower_ == "news" for c in head.children if c.i < head.i))
            kin = roles.get(lemma, set())
            for mention in reversed(earlier):
                entity = mention.entity
                if entity.kind != "named_organization":
                    continue
                if lemma in entity.roles or (wanted_outlet and entity.outlet and self._outlet_of_kind(entity, head)) \
                        or (entity.roles & kin and not entity.outlet):
                    return mention
            if lemma == "campaign":
                return self._owned_by_person(start, lemma) or self._main_person_campaign(earlier)
            if lemma == "administration":
                # "the administration": the latest "Obama administration" before it, else the president's
                presidents = [m for m in earlier if m.entity.kind == "named_person" and "president" in m.entity.roles
                              and not {"former", "vice"} & m.entity.roles]
                chief = max(presidents, key=lambda m: (m.entity.mentions, m.start)) if presidents else None
                return self._owned_by_person(start, lemma) or (
                    self._owned_organisation(chief, lemma) if chief is not None else None)
            if owner_token is not None and owner_token.pos_ == "NOUN" and owner_token.lemma_.lower() in (
                    self.lexicon.organization_heads | GENERIC_BODY_HEADS):
                # "the bank's board", "the paper's editorial board": the organisation the owner stands for
                owner_span = doc[owner_token.left_edge.i: owner_token.i + 1]
                return self.description(doc, owner_span.start_char, owner_span.end_char, anywhere)
            if lemma in _GENERIC_ORGANISATION_HEADS and owner_token is None:
                return self._salient_organisation(earlier, self.sentence_of(start), lemma)
            return None
        if lemma in _GENERIC_ORGANISATION_HEADS and owner_token is None:
            # "the online retail giant": an organisation, though the head is no organisation word
            return self._salient_organisation(earlier, self.sentence_of(start), lemma)
        if owner_token is not None and owner_token.tag_ == "PRP$" and not heads & self.lexicon.unique_roles:
            # "her friend", "his spokesman": a person the article introduced with that relation to the same owner
            if owner is None:
                return None
            related = [m for m in earlier if m.entity.kind == "named_person" and any(
                (word, owner.entity.key) in m.entity.owned_roles for word in heads)]
            if related:
                return related[-1]
            return self._relative_by_surname(owner, heads, start)
        role_words = set(heads)
        for noun in heads:
            role_words |= roles.get(noun, set())
        gender = "female" if words & self.lexicon.female_words else "male" if words & self.lexicon.male_words else None
        if gender is None and head.dep_ in _SUBJECTS:
            # "the GOP nominee has staked much of his campaign on ...": the clause's own "his" or "her"
            own = next((t for t in head.head.subtree if t.i >= span.end and t.lower_ in ("his", "her", "himself",
                                                                                        "herself")
                        and not self.quoted(t.idx)), None)
            # not when a person is named between them: "... mocked Trump for calling himself" is Trump's
            if own is not None and not any(m.entity.kind == "named_person" and end <= m.start < own.idx
                                           for m in self.mentions):
                gender = pronoun_gender(own.lower_.replace("self", ""))
        people = [m for m in earlier if m.entity.kind == "named_person"
                  and (gender is None or m.entity.gender in (None, gender))]
        by_role = [m for m in people if m.entity.roles & role_words
                   or any(" " in r and r in phrase for r in role_words for phrase in m.entity.role_phrases)]
        qualifiers = words - role_words - {lemma}
        own_sentence = self.sentence_of(start)

        def best_by_role(found: list[Mention]) -> Mention:
            # "the former secretary of state" against two secretaries: the one sharing the most words
            # else the one the story names most ("the president" of a story about Obama that names Assad)
            return max(found, key=lambda m: (len(m.entity.roles & qualifiers), m.entity.mentions, m.start))

        # a place or party in the description ("the New Jersey governor", "the GOP nominee")
        proper = {t.lower_ for t in span if t.i > span.start and t.text[:1].isupper()
                  and (t.pos_ == "PROPN" or t.ent_type_ in ("GPE", "NORP"))} - role_words
        proper |= {kin for word in proper for kin in _PARTY_KIN.get(word, ())}
        # a place or party must be among a topic person's roles ("the Wisconsin Republican"); a nationality only
        # rules out a person of another country (`_elsewhere`, applied to `people` below)
        strict = proper - ({t.lower_ for t in span if t.ent_type_ == "NORP"} - _PARTY_KIN.keys())
        if proper & _PARTY_KIN.keys():
            # "the GOP nominee" is not the Democratic one
            people = [m for m in people if not (m.entity.roles & _PARTY_KIN.keys() - proper)]
            by_role = [m for m in by_role if not (m.entity.roles & _PARTY_KIN.keys() - proper)]
        people = [m for m in people if not self._elsewhere(m.entity, proper)]
        by_role = [m for m in by_role if not self._elsewhere(m.entity, proper)]
        placed = [m for m in by_role if m.entity.roles & proper]
        if placed:
            # the governor of New Jersey, however recent the governor of Florida
            recent_placed = [m for m in placed if own_sentence - 3 <= m.sentence <= own_sentence]
            return best_by_role(recent_placed or placed)
        recent_by_role = [m for m in by_role if own_sentence - 3 <= m.sentence <= own_sentence]
        if recent_by_role:
            return best_by_role(recent_by_role)
        # an office rules a person out ("Mayor Lena Fischer" is not "the diplomat"), except for a role in a race:
        # a governor may be "the candidate"
        offices = set() if heads & _RACE_ROLES else self.lexicon.titles - _HONORIFICS
        # "the official" stands for no one the passage names; "the scientist", "the lawmaker" may
        unnamed_heads = self.lexicon.anonymous_heads - self.lexicon.person_nouns
        if (heads & self.lexicon.person_nouns or aged) and not heads & unnamed_heads and \
                first.lower_ in ("the", "this"):
            # "Cruz defends his record: '...,' the senator says": the person the passage is about, when the
            # article gives them no other role ("his spokesman", "Trump's daughter" are someone else)
            # a place or party in the description must be one of theirs ("the Wisconsin Republican")
            most = max((m.entity.mentions for m in people), default=0)
            reach = 3 if aged else 2  # "the 43-year-old" may follow a caption or two
            topic = [m for m in people if m.subject and not m.quoted and not m.entity.plural
                     and own_sentence - reach <= m.sentence <= own_sentence and m.start < start
                     and not (m.entity.roles & offices and not m.entity.roles & role_words)
                     and not (strict and not m.entity.roles & strict)
                     # "the candidate" is one the story is about, not a campaign manager named once
                     and not (heads & self.lexicon.unique_roles and 2 * m.entity.mentions < most)]
            if topic:
                return max(topic, key=lambda m: (m.sentence, -m.depth, m.start))
        if by_role:
            return best_by_role(by_role)
        people = [m for m in people if not (m.entity.roles & offices)]
        # a place or party in the description picks out those it is theirs ("the Vermont senator"), if any
        if proper and any(m.entity.roles & proper for m in people):
            people = [m for m in people if m.entity.roles & proper]
        if heads & self.lexicon.unique_roles and people:
            # the subject of the last three sentences, else the person mentioned most
            recent = [m for m in people if m.subject and not m.quoted and m.sentence >= own_sentence - 3]
            if recent:
                # the latest sentence's main-clause subject before an embedded one ("Trump said ... had Clinton ...")
                return max(recent, key=lambda m: (m.sentence, -m.depth, m.start))
            counts: dict[int, int] = {}
            latest: dict[int, int] = {}
            for mention in people:
                counts[id(mention.entity)] = counts.get(id(mention.entity), 0) + 1
                latest[id(mention.entity)] = mention.start
            return max(people, key=lambda m: (counts[id(m.entity)], latest[id(m.entity)]))
        return None

    def _elsewhere(self, entity: Entity, proper: set[str]) -> bool:
        """Whether a person's roles tie them to a country or nationality other than the description's nationality:
        "Ukraine's foreign minister" is not "the Russian diplomat"."""
        places = proper & self._nationalities
        if not places:
            return False  # a state or city in a description is weighed by the roles that name it, not here
        def same(words: set[str]) -> bool:  # "Russia" and "Russian", "Ukraine" and "Ukrainian" are one place
            return any(a[:4] == b[:4] for a in words for b in places if len(a) >= 4 and len(b) >= 4)

        # the place a role opens with ("Ukrainian Foreign Minister", "Ukraine's foreign minister"); a place further
        # into a long apposition is what they did, not where they are from
        theirs = {phrase.split()[0] for phrase in entity.role_phrases if phrase} & self._place_words
        return bool(theirs) and not same(theirs) and not same(entity.roles)

    @functools.cached_property
    def _nationalities(self) -> set[str]:
        """The article's nationality words ("russian", "chechen"), parties left out."""
        return {t.lower_ for t in self.doc if t.ent_type_ == "NORP" and t.is_alpha} - _PARTY_KIN.keys()

    @functools.cached_property
    def _place_words(self) -> set[str]:
        """The article's words for places and nationalities ("ukraine", "russian"), parties left out."""
        return {t.lower_ for t in self.doc if t.ent_type_ in ("GPE", "NORP") and t.is_alpha} - _PARTY_KIN.keys()

    def _outlet_of_kind(self, entity: Entity, head: Any) -> bool:
        """Whether an outlet can be "the newspaper" (not a wire agency or broadcaster) or "the agency" (only "the
        news agency" is a wire agency; a bare "the agency" is a government's)."""
        name = entity.key.removeprefix("the ")
        lemma = head.lemma_.lower()
        if lemma in ("newspaper", "paper"):
            return name not in self.lexicon.news_agencies | self.lexicon.broadcasters
        if lemma == "agency":
            news = any(t.lower_ in ("news", "wire") for t in head.children if t.i < head.i)
            return news and name in self.lexicon.news_agencies
        return True

    def _relative_by_surname(self, owner: Mention, heads: set[str], start: int) -> Mention | None:
        """"his father", "her son" for a relative the article names with the owner's surname and nothing else ties
        to the owner: the one other person of that surname ("Eric Trump ... his father": Donald Trump), named before
        or after; with two or more such, or an owner whose gender the article does not settle, no one."""
        if not heads & _KIN_NOUNS or owner.entity.plural or owner.entity.gender is None:
            return None  # an owner of unknown gender may be the wrong one of two relatives
        wanted = "male" if heads & _MALE_KIN else "female" if heads & _FEMALE_KIN else None
        kin = {id(m.entity): m for m in self.mentions if m.entity.kind == "named_person" and not m.entity.plural
               and m.entity is not owner.entity and m.entity.key == owner.entity.key
               and (wanted is None or m.entity.gender in (None, wanted))}
        if len(kin) != 1:
            return None
        (entity_id,) = kin
        mentions = [m for m in self.mentions if id(m.entity) == entity_id]
        return min(mentions, key=lambda m: abs(m.start - start))

    def _recent_place(self, doc: Any, start: int) -> Mention | None:
        """"The state reported", "the town released a statement": the place named in its own sentence or the one
        before, outside quotations, when they name one place only."""
        own_sentence = self.sentence_of(start)
        places = [ent for ent in doc.ents if ent.label_ == "GPE" and ent.end_char <= start
                  and own_sentence - 1 <= self.sentence_of(ent.start_char) and not self.quoted(ent.start_char)]
        names = {_POSSESSIVE.sub("", ent.text.removeprefix("the ")) for ent in places}
        if len(names) != 1:
            return None
        place = places[-1]
        entity = self._organisation_named(names.pop(), set())
        return Mention(place.start_char, place.end_char, entity, self.sentence_of(place.start_char), False, False,
                       head=place.root.i)

    def _apposed_name(self, head: Any, span: Any) -> Mention | None:
        """The named person or organisation a description stands in apposition with: "Clinton, the former
        secretary of state", "the minister, Sergei Lavrov"."""
        if head.dep_ == "appos" and not span.start <= head.head.i < span.end:
            target = head.head
        else:
            target = next((c for c in head.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
        if target is None:
            return None
        return next((m for m in self.mentions if m.start <= target.idx < m.end
                     and m.entity.kind == "named_person" and not m.entity.plural), None)

    def _owned_organisation(self, owner: Mention, head: str) -> Mention:
        """"Clinton's campaign" as the organisation "Clinton campaign"."""
        entity = self._organisation_named(f"{owner.entity.name.split()[-1]} {head}", {head})
        return Mention(owner.start, owner.end, entity, owner.sentence, False, owner.quoted, head=owner.head)

    def _organisation_named(self, name: str, roles: set[str]) -> Entity:
        """The article's organisation of this name, made when the resolver names it itself ("Clinton campaign",
        "New Hampshire" for "the state")."""
        entity = next((e for e in self.entities if e.kind == "named_organization" and e.key == name.lower()), None)
        if entity is None:
            entity = Entity(kind="named_organization", name=name, key=name.lower(), roles=set(roles))
            self.entities.append(entity)
        return entity

    def _salient_organisation(self, earlier: Sequence[Mention], own_sentence: int, head: str) -> Mention | None:
        """"The company said", "the group" where no name carries the word: the organisation (not a news outlet)
        the passage is about: a subject of the last three sentences, else the only one named in the last two, else
        for "the company", the only one named in the last three, else the one the article names most."""
        business = head in _BUSINESS_HEADS
        if business:  # a body whose name says it is another kind of body is not this one: "Dartmouth College"
            earlier = [m for m in earlier if not self._other_kind_of_body(m.entity)]
        organisations = [m for m in earlier if m.entity.kind == "named_organization" and not m.entity.outlet
                         and own_sentence - 3 <= m.sentence <= own_sentence and not m.quoted]
        subjects = [m for m in organisations if m.subject]
        if subjects:
            latest = [m for m in subjects if m.sentence == subjects[-1].sentence]
            # "Exxon Mobil and Chevron reported ...": either may be "the company"
            return subjects[-1] if len({id(m.entity) for m in latest}) == 1 else None
        recent = [m for m in organisations if m.sentence >= own_sentence - 1]
        if recent:
            return recent[-1] if len({id(m.entity) for m in recent}) == 1 else None
        if business and organisations and len({id(m.entity) for m in organisations}) == 1:
            return organisations[-1]  # the one organisation of the last three sentences ("the board" is often not)
        # else the organisation the story is about: named at least three times so far, more than any other
        counts: dict[int, list[Mention]] = {}
        for mention in earlier:
            if mention.entity.kind == "named_organization" and not mention.entity.outlet:
                counts.setdefault(id(mention.entity), []).append(mention)
        ranked = sorted(counts.values(), key=len, reverse=True)
        if ranked and len(ranked[0]) >= 3 and (len(ranked) == 1 or len(ranked[0]) > len(ranked[1])):
            return ranked[0][-1]
        return None

    def _other_kind_of_body(self, entity: Entity) -> bool:
        """Whether a name ends in a word for a body other than a business ("Dartmouth College", "Heritage
        Foundation"), so that it is not "the company"."""
        words = entity.name.lower().split()
        kinds = _ORGANISATION_NAME_ENDINGS | self.lexicon.organization_heads
        return bool(words) and words[-1] in kinds - _BUSINESS_NAME_ENDINGS

    def _main_person_campaign(self, earlier: Sequence[Mention]) -> Mention | None:
        """"The campaign" in a story that names no one's campaign: the campaign of the person the story is about,
        named at least three times so far and more than anyone else."""
        counts: dict[int, list[Mention]] = {}
        for mention in earlier:
            if mention.entity.kind == "named_person" and not mention.entity.plural:
                counts.setdefault(id(mention.entity), []).append(mention)
        ranked = sorted(counts.values(), key=len, reverse=True)
        if not ranked or len(ranked[0]) < 3 or (len(ranked) > 1 and len(ranked[0]) <= len(ranked[1])):
            return None
        return self._owned_organisation(ranked[0][-1], "campaign")

    def _owned_by_person(self, start: int, head: str) -> Mention | None:
        """"the campaign" ("the administration") with no organisation of that name: the latest "Clinton's
        campaign", "the Trump campaign" or "his campaign" before it, as the organisation "Clinton campaign"."""
        doc = self.doc
        owned: list[tuple[Any, Entity]] = []  # (the head word, its owner), latest first
        for token in reversed(doc[: max(0, self._token_index(start))]):
            if token.lemma_.lower() != head or token.pos_ != "NOUN" or token.tag_ != "NN":
                continue
            owner = next((c for c in token.children if c.dep_ in ("poss", "compound")
                          and (c.pos_ == "PROPN" or c.tag_ == "PRP$")), None)
            if owner is None:
                continue
            if owner.tag_ == "PRP$":
                found = self.resolved.get(owner.i)
            else:
                found = next((m for m in self.mentions if m.start <= owner.idx < m.end), None)
            if found is not None and found.entity.kind == "named_person" and not found.entity.plural:
                owned.append((token, found.entity))
        if not owned:
            return None
        # an owner named in this sentence or the one before ("Sanders's donor list, which the campaign says")
        own_sentence = self.sentence_of(start)
        near = {id(m.entity) for m in self.mentions
                if m.start < start and own_sentence - 1 <= m.sentence <= own_sentence}
        token, owner_entity = next(((t, e) for t, e in owned if id(e) in near), owned[0])
        entity = self._organisation_named(f"{owner_entity.name.split()[-1]} {head}", {head})
        return Mention(token.idx, token.idx + len(token.text), entity, self.sentence_of(token.idx), False,
                       self.quoted(token.idx), head=token.i)

    def _token_index(self, position: int) -> int:
        span = self.doc.char_span(position, position + 1, alignment_mode="expand")
        return span[0].i if span is not None and len(span) else len(self.doc)

    def issuer(self, doc: Any, start: int, end: int) -> str | None:
        """Who issued a poll, study, report or ruling that stands as a source: the names it carries ("a
        Quinnipiac University poll", "the Reuters/Ipsos poll"), the owner a possessive pronoun stands for ("his
        website"), or, for "the poll" with no name, the issuer of the article's last poll that had one."""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return None
        head = span.root
        lemma = head.lemma_.lower()
        if lemma not in self.lexicon.document_nouns:
            return None
        names = [t for t in span if t.i < head.i and (t.pos_ == "PROPN" or t.ent_type_ in ("ORG", "PERSON"))
                 and t.ent_type_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL")]
        if not names:
            by = next((g for c in head.children if c.dep_ == "prep" and c.lower_ in ("by", "from", "of")
                       for g in c.children if g.dep_ == "pobj" and g.i < span.end), None)
            if by is not None and (by.pos_ == "PROPN" or by.ent_type_ in ("ORG", "PERSON")):
                names = [t for t in by.subtree if t.pos_ in ("PROPN", "CCONJ", "PUNCT") and t.i < span.end]
                while names and names[-1].pos_ != "PROPN":
                    names.pop()
        if names:
            name = doc[names[0].i: names[-1].i + 1].text
            name = _POSSESSIVE.sub("", name).strip()
            self._issuers[lemma] = name
            return name
        owner = next((t for t in span if t.tag_ == "PRP$" and t.head == head), None)
        if owner is not None:
            gender = pronoun_gender(owner.lower_)
            kind: EntityKind = "named_person" if gender is not None else "named_organization"
            found = self._antecedent(owner.idx, kind, gender)
            return found.entity.name if found is not None else None
        if span[0].lower_ in ("the", "this", "that"):
            return self._issuers.get(lemma) or self._latest_issued(lemma, start)
        return None

    def _latest_issued(self, lemma: str, before: int) -> str | None:
        """The name of whoever the text says issued the latest `lemma` before `before`, outside any attribution's
        source: "Fox News said in a statement", "Clinton unveiled her first campaign ad"."""
        latest = None
        for position, noun, name in self._issued_documents():
            if position >= before:
                break
            if noun == lemma:
                latest = name
        return latest

    def _issued_documents(self) -> list[tuple[int, str, str]]:
        """(offset, document noun, issuer's name) for each document the text says someone issued, in order: the
        subject of "said in a statement" or of "released", "published", "unveiled" ... with the document as its
        object, when that subject is a name or a pronoun resolved to one."""
        if self._documents is None:
            self._documents = []
            for token in select_tokens(self.doc, lemma=frozenset(self.lexicon.document_nouns)):
                lemma = token.lemma_.lower()
                if token.pos_ != "NOUN":
                    continue
                verb = token.head
                if token.dep_ == "pobj" and verb.lower_ == "in" and verb.head.pos_ == "VERB" \
                        and verb.head.lemma_.lower() in self.lexicon.cue_verbs:
                    verb = verb.head  # "Fox News said in a statement"
                elif token.dep_ != "dobj" or verb.lemma_.lower() not in _ISSUING_VERBS:
                    continue
                subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
                issuer = self._named_at(subject) if subject is not None else None
                if issuer is not None:
                    self._documents.append((token.idx, lemma, issuer))
        return self._documents

    def _named_at(self, token: Any) -> str | None:
        """The name a subject token stands for: the entity of its mention, or of the name a pronoun resolved to."""
        if token.i in self.resolved:
            found = self.resolved[token.i]
            return found.entity.name if found is not None else None
        mention = next((m for m in self.mentions if m.start <= token.idx < m.end), None)
        return mention.entity.name if mention is not None else None

    def surname(self, start: int, end: int) -> Mention | None:
        """A capitalised name the parser did not take for one ("Lavrov:" at the head of a line) that is the
        surname of a person the article names: that person's nearest mention."""
        words = self.text[start:end].split()
        if not 1 <= len(words) <= 3 or not all(w[:1].isupper() for w in words):
            return None
        key = _POSSESSIVE.sub("", words[-1]).lower()
        found = [m for m in self.mentions if m.entity.kind == "named_person" and m.entity.key == key]
        if not found:
            return None
        # one person before a family ("the Sanderses"), then the nearest mention
        return min(found, key=lambda m: (m.entity.plural, abs(m.start - start)))

    def expanded_acronym(self, name: str) -> str | None:
        """The organisation an acronym stands for where the article spells it out anywhere: one whose capitalised
        words' initials, "of" and "the" left out, are the acronym ("AP": "Associated Press", "DNC": "Democratic
        National Committee"), else the name it is defined as where the initials differ ("the Swiss People’s Party,
        or SVP", "Justice Department (DOJ)")."""
        if not re.fullmatch(r"[A-Z]{2,6}", name):
            return None
        for entity in self.entities:
            if entity.kind != "named_organization":
                continue
            words = [w for w in re.split(r"[\s-]+", entity.name) if w[:1].isupper() and w.lower() not in _LINKING]
            if len(words) == len(name) and "".join(w[0] for w in words) == name:
                return entity.name
        definition = re.compile(r"\s*(?:,\s*or\s+|\(\s*)" + name + r"\b")
        for entity, words in self._named_entities():
            if len(words) >= 2 and definition.match(self.text, entity.end_char):
                return entity.doc[words[0].i:words[-1].i + 1].text
        return None

    def outlet_full_name(self, name: str) -> str | None:
        """The one outlet the article names in full that a one-word name begins ("Fox": "Fox News", "Time":
        "Time Magazine"): an organisation of two or more words, the first this name, the last an outlet word."""
        if " " in name or not name[:1].isupper():
            return None
        found = {" ".join(t.text for t in words) for entity, words in self._named_entities()
                 if entity.label_ == "ORG" and len(words) >= 2 and words[0].text == name
                 and words[-1].lower_ in _OUTLET_WORDS}
        return found.pop() if len(found) == 1 else None

    def _named_entities(self) -> list[tuple[Any, list[Any]]]:
        """The parse's entities with their tokens, "the" left out, read once per article."""
        if self._entity_tokens is None:
            self._entity_tokens = [(e, [t for t in e if t.lower_ != "the"]) for e in self.doc.ents]
        return self._entity_tokens

    def entity_at(self, start: int, end: int) -> Entity | None:
        """The entity of a mention that overlaps [start, end) (the last one)."""
        found = None
        for mention in self.mentions:
            if mention.start < end and start < mention.end:
                found = mention.entity
            elif mention.start >= end:
                break
        return found


def _apposed_nouns(entity: Any) -> list[Any]:
    """The common nouns a name stands in apposition with, either way round: "Autism Speaks, an advocacy group",
    "the advocacy group Autism Speaks"."""
    root = entity.root
    nouns = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
    if root.dep_ == "appos" and root.head.pos_ == "NOUN" and not entity.start <= root.head.i < entity.end:
        nouns.append(root.head)
    return nouns


def _hyphenated(head: Any, span: Any) -> str | None:
    """"front-runner" as one word where the tokenizer split it at its hyphen ("front", "-", "runner")."""
    index = head.i
    doc = head.doc
    if index - 2 < span.start or doc[index - 1].text != "-" or doc[index - 2].whitespace_ or doc[index - 1].whitespace_:
        return None
    return f"{doc[index - 2].lower_}-{head.lemma_.lower()}"


def unnamed_body_kind(doc: Any, start: int, end: int) -> str | None:
    """The source kind of a description whose head says only what kind of body speaks, left unresolved: "other"
    for "the company", "the newspaper", "the news service", "the paper's editorial board" (it names no one),
    "anonymous" for a plural one ("the departments", "the authorities"); None for any other description."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    head = span.root
    if head.tag_ in ("NNS", "NNPS"):
        return "anonymous"
    generic = _GENERIC_ORGANISATION_HEADS | _MEDIA_HEADS
    media = any(t.lower_ in ("news", "wire") for t in head.children if t.i < head.i)
    owned_by_generic = any(t.dep_ == "poss" and t.lemma_.lower() in generic for t in head.children)
    return "other" if head.lemma_.lower() in generic or media or owned_by_generic else None


def is_first_person(word: str) -> bool:
    return word.strip().lower() in _FIRST_PERSON
