"""Read the Wikidata JSON dump and turn a filtered part of it into a sourcetrace gazetteer.

The dump (https://dumps.wikimedia.org/wikidatawiki/entities/, `latest-all.json.gz` / `.bz2`) is one JSON
array with one entity per line: a `[` line, then `{...},` lines, then the last entity without a comma, then
a `]` line. `iter_wikidata_entities` streams it (plain, gzip or bzip2, chosen by the file's first bytes),
so a 100 GB dump never has to fit in memory. Plain JSON Lines (one entity per line, as filtering tools
write) read the same way.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from sourcetrace.errors import InputError

INSTANCE_OF = "P31"
COUNTRY = "P17"

# Gazetteer type for common instance-of (P31) classes. A user passes others as `Q123=type`.
DEFAULT_TYPE_NAMES: dict[str, str] = {
    "Q5": "person",  # human
    "Q515": "place",  # city
    "Q1549591": "place",  # big city
    "Q486972": "place",  # human settlement
    "Q6256": "place",  # country
    "Q3624078": "place",  # sovereign state
    "Q43229": "organization",  # organization
    "Q484652": "organization",  # international organization
    "Q327333": "organization",  # government agency
    "Q7278": "organization",  # political party
    "Q4830453": "organization",  # business
    "Q783794": "organization",  # company
    "Q192283": "outlet",  # news agency
    "Q11032": "outlet",  # newspaper
    "Q1110794": "outlet",  # daily newspaper
    "Q2001305": "outlet",  # television channel
    "Q176799": "military_unit",  # military unit
    "Q728": "equipment",  # weapon
}

# The spaCy label an entry of each gazetteer type gets when the gazetteer adds or corrects an entity.
LABEL_OF_TYPE: dict[str, str] = {
    "person": "PERSON",
    "place": "GPE",
    "region": "GPE",
    "location": "LOC",
    "organization": "ORG",
    "outlet": "ORG",
    "military_unit": "ORG",
    "equipment": "PRODUCT",
    "group": "NORP",
    "event": "EVENT",
    "product": "PRODUCT",
}


def _open_binary(path: Path) -> IO[bytes]:
    """The file, decompressed when its first bytes say gzip or bzip2 (whatever its name says)."""
    raw = path.open("rb")
    magic = raw.read(3)
    raw.seek(0)
    if magic[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if magic == b"BZh":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    return raw


def iter_wikidata_entities(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every entity of a Wikidata JSON dump (`.json`, `.json.gz`, `.json.bz2`), as a dict, in file order.

    A line that is not JSON raises `InputError` naming the file and line: a damaged dump is reported,
    never silently shortened.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    try:
        with _open_binary(path) as binary, io.TextIOWrapper(binary, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                line = line.strip()
                if line.endswith(","):
                    line = line[:-1].rstrip()
                if not line or line in ("[", "]"):
                    continue
                try:
                    entity = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(path), f"not a Wikidata entity line ({exc.msg})", line=number) from None
                if not isinstance(entity, dict):
                    raise InputError(str(path), "not a Wikidata entity line (expected a JSON object)", line=number)
                yield entity
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the dump ({exc})") from None


# --- reading fields of one entity ------------------------------------------------------------------------


def label(entity: dict[str, Any], language: str = "en") -> str | None:
    value = (entity.get("labels") or {}).get(language)
    return value.get("value") if isinstance(value, dict) else None


def aliases(entity: dict[str, Any], languages: Iterable[str] = ("en",)) -> list[str]:
    found: list[str] = []
    for language in languages:
        for item in (entity.get("aliases") or {}).get(language, []) or []:
            value = item.get("value") if isinstance(item, dict) else None
            if value and value not in found:
                found.append(value)
    return found


def statement_values(entity: dict[str, Any], prop: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(datavalue value, statement) for each valued statement of a property; deprecated ones left out."""
    for statement in (entity.get("claims") or {}).get(prop, []) or []:
        if not isinstance(statement, dict) or statement.get("rank") == "deprecated":
            continue
        snak = statement.get("mainsnak") or {}
        if snak.get("snaktype") != "value":
            continue
        yield (snak.get("datavalue") or {}).get("value"), statement


def item_id(value: Any) -> str | None:
    """The QID of an item value (`{"id": "Q1"}` or the older `{"numeric-id": 1}`), else None."""
    if not isinstance(value, dict):
        return None
    if value.get("id"):
        return str(value["id"])
    if "numeric-id" in value:
        return f"Q{value['numeric-id']}"
    return None


def item_values(entity: dict[str, Any], prop: str) -> list[str]:
    """The item ids (QIDs) a property points to, best rank first, deprecated statements left out."""
    preferred: list[str] = []
    normal: list[str] = []
    for value, statement in statement_values(entity, prop):
        qid = item_id(value)
        if qid:
            (preferred if statement.get("rank") == "preferred" else normal).append(qid)
    return preferred + normal


# --- the importer -----------------------------------------------------------------------------------------


def parse_types(spec: str) -> dict[str, str]:
    """`Q515,Q5` or `Q515=place,Q5=person` as {QID: gazetteer type}; unknown classes default to `other`."""
    types: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        qid, _, name = part.partition("=")
        qid = qid.strip().upper()
        if not (qid.startswith("Q") and qid[1:].isdigit()):
            raise InputError("--types", f"{qid!r} is not a Wikidata item id like Q515")
        types[qid] = name.strip() or DEFAULT_TYPE_NAMES.get(qid, "other")
    if not types:
        raise InputError("--types", "give at least one instance-of class, e.g. Q515,Q5")
    return types


def gazetteer_entry(
    entity: dict[str, Any], types: dict[str, str], languages: tuple[str, ...] = ("en",), min_sitelinks: int = 0
) -> dict[str, Any] | None:
    """The gazetteer entry for one dump entity, or None when it is not an instance of any wanted class (or has
    fewer than `min_sitelinks` Wikipedia articles: a cheap notability filter for classes like Q5 human)."""
    if entity.get("type", "item") != "item":
        return None
    if min_sitelinks and len(entity.get("sitelinks") or {}) < min_sitelinks:
        return None
    classes = item_values(entity, INSTANCE_OF)
    matched = next((qid for qid in classes if qid in types), None)
    if matched is None:
        return None
    name = next((label(entity, lang) for lang in languages if label(entity, lang)), None)
    if not name:
        return None
    entry_type = types[matched]
    entry: dict[str, Any] = {"id": entity.get("id"), "name": name, "type": entry_type}
    if entry_type in LABEL_OF_TYPE:
        entry["label"] = LABEL_OF_TYPE[entry_type]
    names = [a for a in aliases(entity, languages) if a != name]
    names += [label(entity, lang) for lang in languages[1:] if label(entity, lang) and label(entity, lang) != name]
    if names:
        entry["aliases"] = list(dict.fromkeys(names))
    profile: dict[str, Any] = {"instance_of": matched}
    description = next(
        ((entity.get("descriptions") or {}).get(lang, {}).get("value") for lang in languages
         if (entity.get("descriptions") or {}).get(lang)),
        None,
    )
    if description:
        profile["description"] = description
    countries = item_values(entity, COUNTRY)
    if countries:
        profile["country"] = countries[0]
    entry["profile"] = profile
    return entry


def import_wikidata(
    dump: str | Path,
    out: str | Path,
    types: dict[str, str],
    languages: tuple[str, ...] = ("en",),
    limit: int | None = None,
    min_sitelinks: int = 0,
) -> int:
    """Write the dump's entities that are instances of `types` as gazetteer YAML; returns how many."""
    written = 0
    out = Path(out)
    with out.open("w", encoding="utf-8") as stream:
        stream.write(f"# sourcetrace gazetteer imported from the Wikidata dump {Path(dump).name}\n")
        stream.write(f"# instance-of classes: {', '.join(f'{q}={t}' for q, t in types.items())}\n")
        stream.write("entries:\n")
        for entity in iter_wikidata_entities(dump):
            entry = gazetteer_entry(entity, types, languages, min_sitelinks)
            if entry is None:
                continue
            block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=120)
            stream.write("".join(f"  {line}\n" for line in block.splitlines()))
            written += 1
            if limit is not None and written >= limit:
                break
        if written == 0:
            stream.write("  []\n")
    return written


__all__ = ["DEFAULT_TYPE_NAMES", "LABEL_OF_TYPE", "gazetteer_entry", "import_wikidata", "iter_wikidata_entities",
           "parse_types"]
