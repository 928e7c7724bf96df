"""The knowledge base: facts as (subject, property, value), each with its source, loaded from plain YAML.

Entity ids are Wikidata QIDs where we are sure of them (so they line up with the `entities` stage's
`entity_id`), else local `st:` ids; every entity is also found by its names, aliases and adjectives, so a
check works whether or not entity linking ran. See `known_facts/README.md` beside this module for the file format.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sourcetrace._yaml import load_yaml
from sourcetrace.errors import InputError

KB_DIR = Path(__file__).resolve().parent / "known_facts"


@dataclass(frozen=True)
class Fact:
    subject: str
    property: str
    value: str
    source: str
    start: str | None = None
    end: str | None = None
    note: str | None = None


@dataclass
class KBEntity:
    id: str
    name: str
    type: str = "other"
    aliases: list[str] = field(default_factory=list)
    adjectives: list[str] = field(default_factory=list)
    description: str | None = None

    def names(self) -> list[str]:
        return list(dict.fromkeys([self.name, *self.aliases]))


@dataclass
class PropertyInfo:
    name: str
    label: str
    wikidata: str | None = None
    closed: bool = False
    functional: bool = False


class KnowledgeBase:
    """Entities, properties and facts; lookups by id, by name and by (subject, property)."""

    def __init__(self) -> None:
        self.entities: dict[str, KBEntity] = {}
        self.properties: dict[str, PropertyInfo] = {}
        self._facts: dict[tuple[str, str], list[Fact]] = defaultdict(list)
        self._by_name: dict[str, str] = {}
        self._by_adjective: dict[str, str] = {}

    # --- loading -------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, paths: Iterable[str | Path] | None = None) -> KnowledgeBase:
        """The shipped KB (every `*.yaml` under `known_facts/` beside this module), plus the files or folders named
        in `$SOURCETRACE_KB` (`os.pathsep`-separated) and in `paths`."""
        kb = cls()
        files = sorted(KB_DIR.glob("*.yaml"))
        extra = [p for p in os.environ.get("SOURCETRACE_KB", "").split(os.pathsep) if p.strip()]
        for path in [*extra, *(paths or ())]:
            path = Path(path)
            files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
        for path in files:
            kb.add_file(path)
        return kb

    def add_file(self, path: str | Path) -> None:
        path = Path(path)
        try:
            data = load_yaml(path) or {}
        except FileNotFoundError:
            raise InputError(str(path), "no such file") from None
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            raise InputError(str(path), f"not valid YAML ({getattr(exc, 'problem', exc)})",
                             line=None if line is None else line + 1) from None
        if not isinstance(data, dict):
            raise InputError(str(path), "expected a mapping with 'entities' and/or 'properties'")
        for name, info in (data.get("properties") or {}).items():
            info = info or {}
            self.properties[name] = PropertyInfo(
                name=name, label=info.get("label", name.replace("_", " ")), wikidata=info.get("wikidata"),
                closed=bool(info.get("closed")), functional=bool(info.get("functional")),
            )
        for number, item in enumerate(data.get("entities") or [], start=1):
            if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
                raise InputError(str(path), f"entity #{number} needs at least 'id' and 'name'")
            self.add_entity(item, origin=f"{path}: entity {item['id']}")

    def add_entity(self, item: dict[str, Any], origin: str = "") -> None:
        entity_id = str(item["id"])
        entity = self.entities.get(entity_id)
        if entity is None:
            entity = KBEntity(id=entity_id, name=str(item["name"]), type=item.get("type", "other"),
                              description=item.get("description"))
            self.entities[entity_id] = entity
        for alias in item.get("aliases") or []:
            if alias not in entity.aliases:
                entity.aliases.append(str(alias))
        for adjective in item.get("adjectives") or []:
            if adjective not in entity.adjectives:
                entity.adjectives.append(str(adjective))
        for name in entity.names():
            self._by_name.setdefault(_key(name), entity_id)
        for adjective in entity.adjectives:
            self._by_adjective.setdefault(_key(adjective), entity_id)
        for fact in item.get("facts") or []:
            if not isinstance(fact, dict) or "property" not in fact or "value" not in fact:
                raise InputError(origin or entity_id, "a fact needs 'property' and 'value'")
            if not fact.get("source"):
                raise InputError(origin or entity_id, f"fact {fact['property']}={fact['value']} has no source")
            self.add_fact(Fact(
                subject=entity_id, property=str(fact["property"]), value=str(fact["value"]),
                source=str(fact["source"]), start=_opt(fact.get("start")), end=_opt(fact.get("end")),
                note=fact.get("note"),
            ))

    def add_fact(self, fact: Fact) -> None:
        bucket = self._facts[(fact.subject, fact.property)]
        if fact not in bucket:
            bucket.append(fact)

    # --- lookups -------------------------------------------------------------------------------------------

    def facts(self, subject: str, prop: str) -> list[Fact]:
        return list(self._facts.get((subject, prop), ()))

    def values(self, subject: str, prop: str) -> list[str]:
        return [fact.value for fact in self.facts(subject, prop)]

    def all_facts(self) -> Iterator[Fact]:
        for bucket in self._facts.values():
            yield from bucket

    def find(self, name: str) -> KBEntity | None:
        """The entity with this name or alias (case and apostrophe style ignored)."""
        entity_id = self._by_name.get(_key(name))
        return self.entities.get(entity_id) if entity_id else None

    def find_adjective(self, word: str) -> KBEntity | None:
        """The entity an adjective or attributive form refers to ("Soviet" -> Soviet Union)."""
        entity_id = self._by_adjective.get(_key(word)) or self._by_name.get(_key(word))
        return self.entities.get(entity_id) if entity_id else None

    def label(self, entity_id: str) -> str:
        entity = self.entities.get(entity_id)
        return entity.name if entity else entity_id

    def adjective(self, entity_id: str) -> str:
        entity = self.entities.get(entity_id)
        if entity is None:
            return entity_id
        return entity.adjectives[0] if entity.adjectives else entity.name

    def property_info(self, prop: str) -> PropertyInfo:
        return self.properties.get(prop) or PropertyInfo(name=prop, label=prop.replace("_", " "))

    def members(self, organisation: str) -> list[Fact]:
        """Membership facts of an organisation, from either direction (has_member / member_of)."""
        found = {fact.value: fact for fact in self.facts(organisation, "has_member")}
        for fact in self.all_facts():
            if fact.property == "member_of" and fact.value == organisation and fact.subject not in found:
                found[fact.subject] = Fact(organisation, "has_member", fact.subject, fact.source, fact.start, fact.end)
        return list(found.values())

    def name_index(self) -> dict[str, str]:
        """Every name and alias (as written) -> entity id: what a phrase matcher needs."""
        index: dict[str, str] = {}
        for entity in self.entities.values():
            for name in entity.names():
                index.setdefault(name, entity.id)
        return index

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._facts.values())


def _key(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").replace("\u2018", "'").lower().split())


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
