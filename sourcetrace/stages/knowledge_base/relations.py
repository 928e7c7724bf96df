"""Relations stated in text, read from the spaCy parse, about things the knowledge base knows.

What is read (each with the character span that states it):
- possession / attribution: "NATO's Tochka-U", "Ukrainian Tochka-U", "equipped with NATO's Tochka-U";
- origin: "Soviet-made HIMARS", "US-designed ...";
- supply: "HIMARS supplied by Russia", "NATO-supplied Tochka-U", "NATO supplied Tochka-U missiles";
- membership: "NATO member Ukraine", "Ukraine, a NATO member", "Ukraine is a member of NATO",
  "Sweden joined NATO in 2004" (with the year stated);
- recognition: "Ukraine recognised the DPR", "the DPR, recognised by Germany".
Negated statements ("is not a NATO member") are left out: they deny rather than assert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from sourcetrace.stages.knowledge_base.facts import KBEntity, KnowledgeBase

SUBJECT_TYPES = {"weapon_system", "military_unit"}
ACTOR_TYPES = {"country", "former_country", "alliance", "territory", "organization"}
ORIGIN_WORDS = {"made", "designed", "built", "produced", "manufactured", "developed"}
SUPPLY_WORDS = {"supplied", "provided", "delivered", "donated", "sent", "given", "transferred", "shipped", "gifted"}
SUPPLY_LEMMAS = {"supply", "provide", "deliver", "donate", "send", "give", "transfer", "ship", "gift", "hand"}
RECOGNISE_LEMMAS = {"recognise", "recognize"}
NEGATIONS = {"not", "n't", "never", "no", "non"}
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@dataclass
class Mention:
    entity: KBEntity
    span: Span  # tokens of the mention in the doc


@dataclass
class StatedRelation:
    """`actor` <relation> `subject` as the text states it; `start`/`end` cover the words that state it."""

    relation: str  # possession | origin | supply | membership | joined | recognition
    subject: Mention  # the thing the claim is about (weapon, unit, member state, territory)
    actor: Mention  # who is said to own / make / supply it, the organisation joined, the recogniser
    start: int
    end: int
    year: int | None = None  # for "joined NATO in 2004"


class RelationReader:
    """Finds KB mentions in a parsed doc and the relations stated between them."""

    def __init__(self, kb: KnowledgeBase, vocab) -> None:  # noqa: ANN001 - spaCy Vocab
        self.kb = kb
        self.matcher = PhraseMatcher(vocab, attr="ORTH")
        self._ids: dict[int, str] = {}
        from spacy.lang.en import English

        tokenizer = English().tokenizer
        for entity in kb.entities.values():
            names = set(entity.names()) | set(entity.adjectives)
            names |= {name.replace("'", "\u2019") for name in names} | {name.replace("\u2019", "'") for name in names}
            key = f"KB::{entity.id}"
            self.matcher.add(key, [tokenizer(name) for name in sorted(names)])
            self._ids[vocab.strings[key]] = entity.id

    # --- mentions ----------------------------------------------------------------------------------------

    def mentions(self, doc: Doc, linked: dict[int, str] | None = None) -> list[Mention]:
        """Longest non-overlapping KB mentions, plus tokens the entities stage linked to a KB id."""
        found = []
        for match_id, start, end in self.matcher(doc):
            found.append((start, end, self._ids[match_id]))
        for token_index, entity_id in (linked or {}).items():
            if entity_id in self.kb.entities:
                found.append((token_index, token_index + 1, entity_id))
        found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
        mentions: list[Mention] = []
        taken: set[int] = set()
        for start, end, entity_id in found:
            if taken.intersection(range(start, end)):
                continue
            taken.update(range(start, end))
            mentions.append(Mention(self.kb.entities[entity_id], doc[start:end]))
        return mentions

    # --- relations ---------------------------------------------------------------------------------------

    def relations(self, doc: Doc, mentions: list[Mention]) -> list[StatedRelation]:
        by_token = {token.i: mention for mention in mentions for token in mention.span}
        out: list[StatedRelation] = []
        for mention in mentions:
            if mention.entity.type in SUBJECT_TYPES:
                out.extend(self._about_subject(mention, by_token))
            if mention.entity.type in ("country", "former_country", "territory"):
                out.extend(self._membership(mention, by_token))
            if mention.entity.type == "territory":
                out.extend(self._recognition(mention, by_token))
        return out

    def _actor_at(self, token: Token, by_token: dict[int, Mention]) -> Mention | None:
        mention = by_token.get(token.i)
        if mention is not None and mention.entity.type in ACTOR_TYPES:
            return mention
        return None

    def _about_subject(self, subject: Mention, by_token: dict[int, Mention]) -> list[StatedRelation]:
        # The noun the mention modifies: "Tochka-U" -> "systems" in "NATO's Tochka-U tactical missile systems".
        chain = list(subject.span)
        head = subject.span.root
        while head.dep_ in ("compound", "nmod", "amod", "npadvmod") and head.head.pos_ in ("NOUN", "PROPN") \
                and head.head.i > head.i:
            head = head.head
            chain.append(head)
        inside = {token.i for token in subject.span}
        phrase_end = max(token.i for token in chain) + 1
        found: list[StatedRelation] = []

        def add(relation: str, actor: Mention, start_token: int, end_token: int | None = None) -> None:
            end_token = end_token if end_token is not None else phrase_end
            doc = subject.span.doc
            first = min(start_token, subject.span.start)
            last = max(end_token, subject.span.end)
            found.append(StatedRelation(relation, subject, actor, doc[first].idx,
                                        doc[last - 1].idx + len(doc[last - 1].text)))

        for node in chain:
            for child in node.children:
                if child.i in inside:
                    continue
                if child.dep_ == "poss":
                    actor = self._actor_at(child, by_token)
                    if actor is not None:
                        add("possession", actor, actor.span.start)
                elif child.dep_ in ("amod", "compound", "nmod", "npadvmod") and child.i < node.i:
                    word = child.text.lower()
                    kind = "origin" if word in ORIGIN_WORDS else "supply" if word in SUPPLY_WORDS else None
                    if kind is not None:  # "Soviet-made", "NATO-supplied": the actor hangs off the participle
                        for grand in child.children:
                            actor = self._actor_at(grand, by_token)
                            if actor is not None:
                                add(kind, actor, actor.span.start)
                        continue
                    actor = self._actor_at(child, by_token)
                    if actor is not None and actor.entity.type == "alliance":
                        add("possession", actor, actor.span.start)
                elif child.dep_ == "acl" and child.lemma_ in SUPPLY_LEMMAS | {"make", "design", "build", "produce"}:
                    found.extend(self._agent(subject, child, by_token, phrase_end))
        # Passive clause: "The HIMARS were supplied by Russia"; active: "NATO supplied Tochka-U missiles".
        if head.dep_ in ("nsubjpass",) and head.head.lemma_ in SUPPLY_LEMMAS | {"make", "design", "build"}:
            found.extend(self._agent(subject, head.head, by_token, None))
        if head.dep_ in ("dobj",) and head.head.lemma_ in SUPPLY_LEMMAS and not _negated(head.head):
            for child in head.head.children:
                if child.dep_ == "nsubj":
                    actor = self._actor_at(child, by_token)
                    if actor is not None:
                        add("supply", actor, actor.span.start)
        return found

    def _agent(self, subject: Mention, verb: Token, by_token: dict[int, Mention],
               phrase_end: int | None) -> list[StatedRelation]:
        if _negated(verb):
            return []
        kind = "origin" if verb.lemma_ in ("make", "design", "build", "produce") else "supply"
        out = []
        for child in verb.children:
            if child.dep_ == "agent":
                for pobj in child.children:
                    actor = self._actor_at(pobj, by_token)
                    if actor is not None:
                        doc = verb.doc
                        first = min(subject.span.start, verb.i)
                        last = max(actor.span.end, phrase_end or 0)
                        out.append(StatedRelation(kind, subject, actor, doc[first].idx,
                                                  doc[last - 1].idx + len(doc[last - 1].text)))
        return out

    def _membership(self, member: Mention, by_token: dict[int, Mention]) -> list[StatedRelation]:
        out: list[StatedRelation] = []
        doc = member.span.doc
        root = member.span.root
        candidates: list[Token] = []
        # "Ukraine, a NATO member" / "NATO member Ukraine" / "Ukraine is a member of NATO"
        candidates += [child for child in root.children
                       if child.dep_ in ("appos", "compound") and child.lemma_ == "member"]
        if root.dep_ in ("appos", "compound") and root.head.lemma_ == "member":
            candidates.append(root.head)
        if root.dep_ == "nsubj":
            candidates += [c for c in root.head.children if c.dep_ == "attr" and c.lemma_ == "member"
                           and not _negated(root.head)]
        for member_word in candidates:
            if _negated(member_word):
                continue
            for organisation in self._organisations_of(member_word, by_token):
                first = min(member.span.start, member_word.i, organisation.span.start)
                last = max(member.span.end, member_word.i + 1, organisation.span.end)
                out.append(StatedRelation("membership", member, organisation, doc[first].idx,
                                          doc[last - 1].idx + len(doc[last - 1].text)))
        # "Sweden joined NATO in 2004"
        if root.dep_ == "nsubj" and root.head.lemma_ == "join" and not _negated(root.head):
            verb = root.head
            for child in verb.children:
                organisation = self._actor_at(child, by_token) if child.dep_ == "dobj" else None
                if organisation is None or organisation.entity.type != "alliance":
                    continue
                year = None
                last = max(member.span.end, organisation.span.end)
                for prep in verb.children:
                    if prep.dep_ == "prep" and prep.lower_ == "in":
                        match = YEAR.search(" ".join(t.text for t in prep.subtree))
                        if match:
                            year = int(match.group(1))
                            last = max(last, max(t.i for t in prep.subtree) + 1)
                relation = "joined" if year else "membership"
                out.append(StatedRelation(relation, member, organisation, doc[member.span.start].idx,
                                          doc[last - 1].idx + len(doc[last - 1].text), year=year))
        return out

    def _organisations_of(self, member_word: Token, by_token: dict[int, Mention]) -> list[Mention]:
        found = []
        for child in member_word.children:
            if child.dep_ in ("compound", "nmod", "amod", "poss"):
                actor = self._actor_at(child, by_token)
                if actor is not None and actor.entity.type == "alliance":
                    found.append(actor)
            if child.dep_ == "prep" and child.lower_ == "of":
                for pobj in child.children:
                    actor = self._actor_at(pobj, by_token)
                    if actor is not None and actor.entity.type == "alliance":
                        found.append(actor)
        return found

    def _recognition(self, territory: Mention, by_token: dict[int, Mention]) -> list[StatedRelation]:
        out: list[StatedRelation] = []
        doc = territory.span.doc
        # Walk up from the territory to a "recognise" verb: "recognised the independence of the DPR".
        token = territory.span.root
        for _ in range(4):
            if token.lemma_ in RECOGNISE_LEMMAS or token.head is token:
                break
            token = token.head
        if token.lemma_ not in RECOGNISE_LEMMAS or _negated(token):
            return out
        actors = []
        for child in token.children:
            if child.dep_ == "nsubj":
                actors.append(child)
                actors += [c for c in child.children if c.dep_ == "conj"]
            if child.dep_ == "agent":
                for pobj in child.children:
                    actors.append(pobj)
                    actors += [c for c in pobj.children if c.dep_ == "conj"]
        for actor_token in actors:
            actor = self._actor_at(actor_token, by_token)
            if actor is None or actor.entity.type not in ("country", "alliance"):
                continue
            first = min(territory.span.start, token.i, actor.span.start)
            last = max(territory.span.end, token.i + 1, actor.span.end)
            out.append(StatedRelation("recognition", territory, actor, doc[first].idx,
                                      doc[last - 1].idx + len(doc[last - 1].text)))
        return out


def _negated(token: Token) -> bool:
    if any(child.dep_ == "neg" or child.lower_ in NEGATIONS for child in token.children):
        return True
    head = token.head
    return head is not token and head.pos_ in ("AUX", "VERB") and any(c.dep_ == "neg" for c in head.children)
