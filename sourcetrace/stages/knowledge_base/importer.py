"""Build a knowledge-base YAML file from a Wikidata JSON dump, for the properties a user names.

    sourcetrace kb import-wikidata latest-all.json.gz --properties P31,P495,P176,P137 \\
        --instance-of Q728,Q1186981 --out my-kb.yaml

Streams the dump with `sourcetrace.ingest.wikidata.iter_wikidata_entities` (plain, gzip, bzip2, or JSON Lines).
Property ids map to the KB's property names where `known_facts/properties.yaml` names a Wikidata
equivalent (P495 -> country_of_origin); others keep their P-id as the name. Every fact's source is the item's
Wikidata page.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from sourcetrace.errors import InputError
from sourcetrace.ingest.wikidata import (
    aliases,
    item_id,
    item_values,
    iter_wikidata_entities,
    label,
    statement_values,
)
from sourcetrace.stages.knowledge_base.facts import KnowledgeBase


def parse_ids(spec: str, prefix: str, option: str) -> list[str]:
    ids = [part.strip().upper() for part in spec.split(",") if part.strip()]
    bad = [i for i in ids if not (i.startswith(prefix) and i[1:].isdigit())]
    if bad or not ids:
        raise InputError(option, f"expected ids like {prefix}123, comma-separated; got {spec!r}")
    return ids


def _statement_values(entity: dict[str, Any], prop: str) -> list[tuple[str, str | None, str | None]]:
    """(value, start, end) per statement: item ids, or times / strings / quantities as text."""
    out = []
    for value, statement in statement_values(entity, prop):
        qid = item_id(value)
        if qid:
            text = qid
        elif isinstance(value, dict) and "time" in value:
            text = _time(value["time"])
        elif isinstance(value, dict) and "amount" in value:
            text = str(value["amount"]).lstrip("+")
        elif isinstance(value, dict) and "text" in value:
            text = value["text"]
        elif isinstance(value, str):
            text = value
        else:
            continue
        qualifiers = statement.get("qualifiers") or {}
        start = _first_time(qualifiers.get("P580"))
        end = _first_time(qualifiers.get("P582"))
        out.append((text, start, end))
    return out


def _time(value: str) -> str:
    # "+1975-00-00T00:00:00Z" -> "1975"; "+2023-04-04T00:00:00Z" -> "2023-04-04"
    date = value.lstrip("+").split("T")[0]
    parts = [p for p in date.split("-") if p and p != "00"]
    return "-".join(parts) if parts else date


def _first_time(snaks: Iterable[dict[str, Any]] | None) -> str | None:
    for snak in snaks or []:
        value = (snak.get("datavalue") or {}).get("value")
        if isinstance(value, dict) and "time" in value:
            return _time(value["time"])
    return None


def import_wikidata_kb(dump: str | Path, properties: list[str], out: str | Path,
                       instance_of: list[str] | None = None, language: str = "en") -> int:
    """Write the KB file; returns the number of facts written."""
    names = {info.wikidata: name for name, info in KnowledgeBase.load().properties.items() if info.wikidata}
    wanted_classes = set(instance_of or [])
    entities: list[dict[str, Any]] = []
    facts_written = 0
    for entity in iter_wikidata_entities(dump):
        if entity.get("type", "item") != "item" or not entity.get("id"):
            continue
        if wanted_classes and not wanted_classes.intersection(item_values(entity, "P31")):
            continue
        name = label(entity, language)
        if not name:
            continue
        qid = entity["id"]
        source = f"https://www.wikidata.org/wiki/{qid}"
        facts = []
        for prop in properties:
            for value, start, end in _statement_values(entity, prop):
                fact: dict[str, Any] = {"property": names.get(prop, prop), "value": value}
                if start:
                    fact["start"] = start
                if end:
                    fact["end"] = end
                fact["source"] = source
                facts.append(fact)
        if not facts:
            continue
        item: dict[str, Any] = {"id": qid, "name": name}
        other_names = [a for a in aliases(entity, (language,)) if a != name]
        if other_names:
            item["aliases"] = other_names
        description = ((entity.get("descriptions") or {}).get(language) or {}).get("value")
        if description:
            item["description"] = description
        item["facts"] = facts
        entities.append(item)
        facts_written += len(facts)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Imported from {Path(dump).name}: properties {', '.join(properties)}\n"
    out.write_text(header + yaml.safe_dump({"entities": entities}, sort_keys=False, allow_unicode=True, width=120),
                   encoding="utf-8")
    return facts_written
