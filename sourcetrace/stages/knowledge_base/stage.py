"""Stage `knowledge_base`: contradictions between relations the text states and the knowledge base.

Reads the spaCy parse (`Document.doc`), the `entities` layer (KB subjects found by Wikidata QID when linked,
and always by their own names), and the `claims` layer (findings point to the claim that states the
relation; without claims, to the sentence). Unknown is not false: a finding is made only where the KB is
complete for the property (closed lists such as NATO's members) or the property has one value (a system's
country of origin).

Config: `files` (extra KB YAML files or folders).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from sourcetrace.analysis import Evidence, Finding, Span, stable_id
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.knowledge_base.facts import Fact, KnowledgeBase
from sourcetrace.stages.knowledge_base.relations import Mention, RelationReader, StatedRelation

STATED = {
    "possession": "{actor}'s {subject}: the text presents {subject} as belonging to {actor}",
    "origin": "{subject} made by {actor}",
    "supply": "{subject} supplied by {actor}",
    "membership": "{subject} is a member of {actor}",
    "joined": "{subject} joined {actor} in {year}",
    "recognition": "{actor} recognises {subject}",
}


@dataclass
class Contradiction:
    relation: StatedRelation
    message: str
    facts: list[Fact]


class ContradictionChecker:
    name = "knowledge_base"

    def __init__(self, settings: KnowledgeBaseSettings | Mapping[str, Any] | None = None) -> None:
        settings = KnowledgeBaseSettings.of(settings, "knowledge_base")
        self.kb = KnowledgeBase.load(settings.files)
        self._reader: RelationReader | None = None

    def models(self) -> dict[str, str]:
        return {"knowledge_base": f"sourcetrace-kb ({len(self.kb)} facts)"}

    def reader(self, vocab) -> RelationReader:  # noqa: ANN001 - spaCy Vocab
        if self._reader is None:
            self._reader = RelationReader(self.kb, vocab)
        return self._reader

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            if document.doc is None:
                continue
            for contradiction in self.check_doc(document):
                document.analysis.findings.append(self._finding(document, contradiction))

    # --- checks ------------------------------------------------------------------------------------------

    def check_doc(self, document: Document) -> list[Contradiction]:
        doc = document.doc
        reader = self.reader(doc.vocab)
        linked: dict[int, str] = {}
        for entity in document.analysis.entities:
            if entity.entity_id and entity.entity_id in self.kb.entities:
                span = doc.char_span(entity.span.start, entity.span.end, alignment_mode="expand")
                if span is not None and len(span) == 1:
                    linked[span.start] = entity.entity_id
        mentions = reader.mentions(doc, linked)
        published = document.analysis.article.published
        out: list[Contradiction] = []
        seen: set[tuple[str, str, str, int]] = set()
        for relation in reader.relations(doc, mentions):
            key = (relation.relation, relation.subject.entity.id, relation.actor.entity.id, relation.start)
            if key in seen:
                continue
            seen.add(key)
            found = self.check(relation, published)
            if found is not None:
                out.append(found)
        return out

    def check(self, relation: StatedRelation, published: str | None = None) -> Contradiction | None:
        """A contradiction when the KB says otherwise; None when it agrees or is silent."""
        subject, actor = relation.subject.entity, relation.actor.entity
        if relation.relation in ("possession", "supply", "origin") and subject.type == "weapon_system":
            return self._weapon(relation)
        if relation.relation in ("possession", "supply") and subject.type == "military_unit":
            return self._unit(relation)
        if relation.relation in ("membership", "joined") and actor.type == "alliance":
            return self._membership(relation, published)
        if relation.relation == "recognition":
            return self._recognition(relation)
        return None

    def _members(self, alliance: str) -> dict[str, Fact]:
        return {fact.value: fact for fact in self.kb.members(alliance)}

    def _weapon(self, relation: StatedRelation) -> Contradiction | None:
        kb = self.kb
        subject, actor = relation.subject.entity, relation.actor.entity
        origins = kb.facts(subject.id, "country_of_origin")
        if not origins:
            return None
        name = _written(relation.subject)
        origin_ids = [fact.value for fact in origins]
        origin_words = " and ".join(kb.adjective(value) for value in origin_ids)
        operators = kb.facts(subject.id, "operator")
        makers = kb.facts(subject.id, "designer") + kb.facts(subject.id, "manufacturer")
        if actor.type == "alliance":
            members = self._members(actor.id)
            if not members or any(value in members for value in origin_ids):
                return None
            member_operators = [fact for fact in operators if fact.value in members]
            message = (f"{name} is a{_n(origin_words)} {origin_words}-designed system; "
                       f"it is not a{_n(actor.name)} {actor.name} system.")
            if member_operators:
                names = ", ".join(kb.label(fact.value) for fact in member_operators)
                message += f" (Some {actor.name} members have operated it: {names}.)"
            membership_facts = [self._not_member_fact(actor.id, value) for value in origin_ids]
            return Contradiction(relation, message, origins + makers + operators + membership_facts)
        if relation.relation == "origin" and actor.type in ("country", "former_country"):
            related = set(origin_ids)
            for value in origin_ids:  # Russia is the Soviet Union's successor state: "Russian-made" Tochka is fair
                related.update(fact.subject for fact in kb.all_facts()
                               if fact.property == "successor_of" and fact.value == value)
                related.update(kb.values(value, "successor_of"))
            related.update(kb.values(fact.value, "country")[0] for fact in makers if kb.values(fact.value, "country"))
            if actor.id in related:
                return None
            message = (f"{name} is a{_n(origin_words)} {origin_words}-designed system, "
                       f"not {kb.adjective(actor.id)}-made.")
            return Contradiction(relation, message, origins + makers)
        return None

    def _not_member_fact(self, alliance: str, state: str) -> Fact:
        source = next((fact.source for fact in self.kb.members(alliance)), "knowledge base")
        return Fact(state, "member_of", f"not {self.kb.label(alliance)}", source,
                    note=f"{self.kb.label(state)} is not on {self.kb.label(alliance)}'s complete list of member states")

    def _unit(self, relation: StatedRelation) -> Contradiction | None:
        kb = self.kb
        subject, actor = relation.subject.entity, relation.actor.entity
        sides = kb.facts(subject.id, "allegiance")
        if not sides:
            return None
        side = sides[0].value
        if actor.id == side:
            return None
        name = _written(relation.subject)
        if actor.type == "alliance":
            members = self._members(actor.id)
            if not members or side in members:
                return None
            message = (f"{name} serves {kb.label(side)}, which is not a member of {actor.name}; "
                       f"it is not a{_n(actor.name)} {actor.name} unit.")
            return Contradiction(relation, message, sides + [self._not_member_fact(actor.id, side)])
        if actor.type == "country" and kb.entities[side].type == "country":
            message = f"{name} is a {kb.adjective(side)} unit; it does not belong to {actor.name}."
            return Contradiction(relation, message, sides)
        return None

    def _membership(self, relation: StatedRelation, published: str | None) -> Contradiction | None:
        state, alliance = relation.subject.entity, relation.actor.entity
        members = self._members(alliance.id)
        if not members:
            return None
        fact = members.get(state.id)
        if fact is None:
            message = f"{state.name} is not a member of {alliance.name}."
            return Contradiction(relation, message, [self._not_member_fact(alliance.id, state.id)])
        joined = _date(fact.start)
        if relation.relation == "joined" and joined is not None and relation.year != joined.year:
            message = f"{state.name} joined {alliance.name} on {_format(joined)}, not in {relation.year}."
            return Contradiction(relation, message, [fact])
        stated_on = _date(published)
        if relation.relation == "membership" and joined and stated_on and stated_on < joined:
            message = (f"{state.name} was not yet a member of {alliance.name} on {_format(stated_on)}: "
                       f"it joined on {_format(joined)}.")
            return Contradiction(relation, message, [fact])
        return None

    def _recognition(self, relation: StatedRelation) -> Contradiction | None:
        kb = self.kb
        territory, actor = relation.subject.entity, relation.actor.entity
        recognisers = kb.facts(territory.id, "recognized_by")
        if not recognisers or not kb.property_info("recognized_by").closed:
            return None
        if actor.id in {fact.value for fact in recognisers}:
            return None
        names = _join([kb.label(fact.value) for fact in recognisers])
        message = f"{actor.name} has not recognised the {territory.name}; only {names} have."
        return Contradiction(relation, message, recognisers)

    # --- output ------------------------------------------------------------------------------------------

    def _finding(self, document: Document, contradiction: Contradiction) -> Finding:
        analysis = document.analysis
        text = analysis.text
        relation = contradiction.relation
        claim = next((c for c in analysis.claims if c.span.start <= relation.start and relation.end <= c.span.end),
                     None)
        if claim is not None:
            span = claim.span
        else:
            sentence = next((s for s in analysis.sentences if s.start <= relation.start < s.end), None)
            span = Span.of(text, sentence.start, sentence.end) if sentence else Span.of(text, relation.start,
                                                                                           relation.end)
        stated = STATED[relation.relation].format(
            subject=_written(relation.subject), actor=relation.actor.entity.name, year=relation.year
        )
        evidence = [Evidence(
            description=f"stated relation: {stated}",
            span=Span.of(text, relation.start, relation.end),
            source="article",
            data={"relation": relation.relation, "subject": relation.subject.entity.id,
                  "subject_name": relation.subject.entity.name, "actor": relation.actor.entity.id,
                  "actor_name": relation.actor.entity.name, "year": relation.year},
        )]
        for fact in contradiction.facts:
            evidence.append(Evidence(
                description=self._describe(fact), source=fact.source,
                url=fact.source if fact.source.startswith("http") else None,
                data={"subject": fact.subject, "property": fact.property, "value": fact.value,
                      "start": fact.start, "end": fact.end, "note": fact.note},
            ))
        return Finding(
            id=stable_id("kb", analysis.article.id, relation.relation, relation.start, relation.end,
                         relation.subject.entity.id, relation.actor.entity.id),
            kind="contradiction", claim=claim.id if claim else None, span=span,
            message=contradiction.message, score=1.0, evidence=evidence,
        )

    def _describe(self, fact: Fact) -> str:
        kb = self.kb
        value = kb.label(fact.value) if fact.value in kb.entities else fact.value
        text = f"known: {kb.label(fact.subject)} — {kb.property_info(fact.property).label}: {value}"
        if fact.start or fact.end:
            text += f" ({fact.start or '…'} – {fact.end or ''})".replace(" – )", ")")
        if fact.note:
            text += f"; {fact.note}"
        return text


def _written(mention: Mention) -> str:
    """The mention as the article writes it ("Tochka-U"), so the message names what the reader saw."""
    return mention.span.text


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _n(word: str) -> str:
    # "an Iranian", but "a NATO": acronyms here are read as words.
    return "n" if word[:1].upper() in "AEIOU" and not word.isupper() else ""


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    parts = value.split("-")
    try:
        return dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def _format(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


class KnowledgeBaseSettings(StageSettings):
    files: list[str] | None = Field(None, description="fact files to use instead of the shipped ones")


@register_stage("knowledge_base", requires=("backbone",), reads=("entities", "claims"), assigns=("findings",),
                languages=ENGLISH, settings=KnowledgeBaseSettings)
def make_knowledge_base(settings: KnowledgeBaseSettings) -> ContradictionChecker:
    return ContradictionChecker(settings)
