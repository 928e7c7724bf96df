"""Stage `entities`: links the backbone's entities to gazetteer entries, and adds the ones the NER missed.

The gazetteer is plain YAML (or CSV) under `sourcetrace/stages/entities/gazetteer/`, plus any files a user adds
(stage config `gazetteer`, `sourcetrace analyze --gazetteer FILE`, or the `SOURCETRACE_GAZETTEER`
environment variable, paths separated by the OS path separator); stage config `builtin: false` leaves
the shipped files out. Linking is matching over the parsed
Doc (spaCy's PhraseMatcher), not string replacement:

- the longest match wins, so "Kiev cake" is the dish, "Donetsk region" the oblast, "Donetsk People's
  Republic" the republic, and "Donetsk" alone the city;
- a matched span the NER labelled differently is relabelled from the entry ("Sputnik" PERSON -> ORG),
  a span the NER missed is added, and an NER span that only partly covers a name gives way to it;
- spelling variants (spellings.yaml) are generated for every entry name that contains the canonical
  spelling, so "Kharkov region" links to Kharkiv Oblast and the entity says `variant`: Kharkiv <- Kharkov,
  Russian-derived transliteration. Explicit aliases are never a variant.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from sourcetrace._yaml import load_yaml
from sourcetrace.analysis import Entity, EntityVariant, Span, stable_id
from sourcetrace.errors import ConfigurationError, InputError
from sourcetrace.ingest.wikidata import LABEL_OF_TYPE
from sourcetrace.pipeline.backbone import MODEL_PACKAGE, load_spacy
from sourcetrace.pipeline.languages.cyrillic import CYRILLIC
from sourcetrace.pipeline.registry import ENGLISH, Document, StageSettings, register_stage
from sourcetrace.stages.entities.cyrillic import CyrillicNames

BUILTIN_DIR = Path(__file__).resolve().parent / "gazetteer"
SPELLINGS_FILE = "spellings.yaml"
ENV_VAR = "SOURCETRACE_GAZETTEER"
REGION_SUFFIXES = ("region", "oblast", "province")
_APOSTROPHES = ("'", "\u2019")

# NER labels that are not names: a gazetteer match inside one is added beside it, never replaces it.
_NON_NAME_LABELS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "EVENT", "WORK_OF_ART",
                    "LAW", "LANGUAGE"}
# Capitalised words that may stand before a name without making it another entity ("Central Donetsk",
# "Lt. Col. Andrei Marochko"): the NER span keeps its extent and is linked to the name inside.
_MODIFIERS = {
    "central", "northern", "southern", "eastern", "western", "north", "south", "east", "west", "greater",
    "upper", "lower", "occupied", "lt", "lt.", "col", "col.", "gen", "gen.", "maj", "maj.", "general", "colonel",
    "lieutenant", "major", "captain", "sergeant", "commander", "president", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
    "dr", "dr.", "minister", "prime", "deputy", "governor", "mayor", "spokesman", "spokeswoman", "head", "chief",
    "leader", "the", "'s", "\u2019s", "of",
}


@dataclass
class GazetteerEntry:
    key: str  # the Wikidata QID when known, else a local st:<name> id (the knowledge base's convention)
    name: str
    type: str
    label: str
    aliases: list[str] = field(default_factory=list)
    variants: list[dict[str, str]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    spelling_variants: bool = True
    require_ner: bool = False

    @property
    def qid(self) -> str | None:
        return self.key if re.fullmatch(r"Q\d+", self.key) else None


@dataclass(frozen=True)
class SurfaceForm:
    """One way of writing an entry's name, and whether it is a spelling variant of the canonical one."""

    text: str
    entry: str  # entry key
    variant: EntityVariant | None = None
    exact_case: bool = False  # acronyms (LPR, AP) match only as written


@dataclass
class Gazetteer:
    entries: dict[str, GazetteerEntry] = field(default_factory=dict)
    spellings: list[dict[str, str]] = field(default_factory=list)
    names: dict[str, list[SurfaceForm]] = field(default_factory=dict)  # lowercased form -> candidates
    sources: list[str] = field(default_factory=list)

    def entry(self, key: str) -> GazetteerEntry | None:
        return self.entries.get(key)

    def by_name(self, name: str) -> GazetteerEntry | None:
        """The entry whose canonical name is `name` (case-sensitive), or None."""
        return next((e for e in self.entries.values() if e.name == name), None)


# --- loading ----------------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "st:" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split("|") if v.strip()]
    return list(value)


def _entry_from_record(record: Any, source: str, index: int) -> GazetteerEntry:
    where = f"{source} (entry {index})"
    if not isinstance(record, dict):
        raise InputError(source, f"entry {index} is not a mapping")
    name = str(record.get("name") or "").strip()
    if not name:
        raise InputError(source, f"entry {index} has no name")
    entry_type = str(record.get("type") or "other").strip()
    key = str(record.get("id") or "").strip() or _slug(name)
    variants = []
    for item in _as_list(record.get("variants")):
        if isinstance(item, str):
            item = {"form": item}
        if not isinstance(item, dict) or not item.get("form"):
            raise InputError(where, f"a variant of {name!r} needs a `form`")
        variants.append({"form": str(item["form"]), "canonical": str(item.get("canonical") or name),
                         "origin": str(item.get("origin") or "variant spelling")})
    profile = record.get("profile") or {}
    if not isinstance(profile, dict):
        raise InputError(where, f"the profile of {name!r} is not a mapping")
    return GazetteerEntry(
        key=key, name=name, type=entry_type,
        label=str(record.get("label") or LABEL_OF_TYPE.get(entry_type, "ORG" if entry_type == "other" else "MISC")),
        aliases=[str(a) for a in _as_list(record.get("aliases"))],
        variants=variants,
        profile=dict(profile),
        region=record.get("region"),
        spelling_variants=bool(record.get("spelling_variants", True)),
        require_ner=bool(record.get("require_ner", False)),
    )


def _read_records(path: Path) -> tuple[list[Any], list[dict[str, str]]]:
    """Entries and spelling rules from one YAML or CSV file (CSV: id,name,type,label,aliases with | between)."""
    source = str(path)
    if not path.exists():
        raise InputError(source, "gazetteer file not found")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        if rows and "name" not in rows[0]:
            raise InputError(source, "a gazetteer CSV needs a `name` column (and optionally id, type, label, aliases)")
        return rows, []
    try:
        data = load_yaml(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(source, f"not valid YAML ({getattr(exc, 'problem', None) or exc})", line=line) from None
    except UnicodeDecodeError:
        raise InputError(source, "not UTF-8 text") from None
    if data is None:
        return [], []
    if isinstance(data, list):
        return data, []
    if not isinstance(data, dict):
        raise InputError(source, "a gazetteer file holds `entries:` (a list) and/or `spellings:`")
    entries = data.get("entries") or []
    spellings = data.get("spellings") or []
    if not isinstance(entries, list) or not isinstance(spellings, list):
        raise InputError(source, "`entries` and `spellings` must be lists")
    for index, rule in enumerate(spellings, start=1):
        if not isinstance(rule, dict) or not rule.get("canonical") or not rule.get("variant"):
            raise InputError(source, f"spelling rule {index} needs `canonical` and `variant`")
    return entries, spellings


def gazetteer_paths(extra: Iterable[str | Path] = (), include_builtin: bool = True) -> list[Path]:
    """The builtin files, then the user's (config/CLI, then the environment variable), later ones winning."""
    paths = sorted(BUILTIN_DIR.glob("*.yaml")) + sorted(BUILTIN_DIR.glob("*.csv")) if include_builtin else []
    paths += [Path(p) for p in extra]
    paths += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return paths


def load_gazetteer(extra: Iterable[str | Path] = (), include_builtin: bool = True) -> Gazetteer:
    """Load and index gazetteer files. A later entry with the same id replaces an earlier one."""
    gazetteer = Gazetteer()
    for path in gazetteer_paths(extra, include_builtin):
        records, spellings = _read_records(path)
        gazetteer.spellings.extend({k: str(v) for k, v in rule.items()} for rule in spellings)
        for index, record in enumerate(records, start=1):
            entry = _entry_from_record(record, str(path), index)
            gazetteer.entries[entry.key] = entry
        gazetteer.sources.append(str(path))
    _index_names(gazetteer)
    return gazetteer


def _apostrophe_forms(text: str) -> list[str]:
    forms = [text]
    for a, b in itertools.permutations(_APOSTROPHES, 2):
        if a in text:
            forms.append(text.replace(a, b))
    return forms


class _SpellingRules:
    """The spelling rules, indexed so each name is scanned once for the canonical parts it contains."""

    def __init__(self, spellings: list[dict[str, str]]) -> None:
        self.by_part: dict[str, list[dict[str, str]]] = {}
        for rule in spellings:
            self.by_part.setdefault(rule["canonical"], []).append(rule)
        parts = sorted(self.by_part, key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, parts)) + r")\b") if parts else None

    def forms(self, name: str) -> list[tuple[str, EntityVariant]]:
        """Every variant spelling of `name` (each rule, or combination of rules), with its variant."""
        if self.pattern is None:
            return []
        parts = list(dict.fromkeys(self.pattern.findall(name)))
        results = []
        for size in range(1, len(parts) + 1):
            for chosen_parts in itertools.combinations(parts, size):
                for rules in itertools.product(*(self.by_part[p] for p in chosen_parts)):
                    form = name
                    for rule in rules:
                        form = re.sub(rf"\b{re.escape(rule['canonical'])}\b", rule["variant"], form)
                    if len(rules) == 1:
                        variant = EntityVariant(canonical=rules[0]["canonical"], variant=rules[0]["variant"],
                                                origin=rules[0].get("origin", "variant spelling"))
                    else:
                        origins = list(dict.fromkeys(r.get("origin", "variant spelling") for r in rules))
                        variant = EntityVariant(canonical=name, variant=form, origin="; ".join(origins))
                    results.append((form, variant))
        return results


def _is_acronym(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(letters) <= 6


def _index_names(gazetteer: Gazetteer) -> None:
    names: dict[str, list[SurfaceForm]] = {}

    def add(text: str, key: str, variant: EntityVariant | None) -> None:
        for form in _apostrophe_forms(text):
            candidates = names.setdefault(form.lower(), [])
            if any(c.entry == key and c.text == form for c in candidates):
                continue
            candidates.append(SurfaceForm(form, key, variant, _is_acronym(form)))

    rules = _SpellingRules(gazetteer.spellings)
    by_name = {e.name: e for e in gazetteer.entries.values()}
    for entry in gazetteer.entries.values():
        plain = [entry.name, *entry.aliases]
        spelled: list[tuple[str, EntityVariant | None]] = [(n, None) for n in plain]
        spelled += [(v["form"], EntityVariant(canonical=v["canonical"], variant=v["form"], origin=v["origin"]))
                    for v in entry.variants]
        if entry.spelling_variants:
            for name in plain:
                spelled += rules.forms(name)
        for text, variant in spelled:
            add(text, entry.key, variant)
        region = by_name.get(entry.region) if entry.region else None
        if entry.region and region is None:
            raise InputError(gazetteer.sources[-1] if gazetteer.sources else "gazetteer",
                             f"{entry.name!r} names the region {entry.region!r}, which has no entry")
        if region is not None:
            for text, variant in spelled:
                for suffix in REGION_SUFFIXES:
                    add(f"{text} {suffix}", region.key, variant)
    # Later files win: the last-added candidate of a form comes first.
    gazetteer.names = {form: list(reversed(candidates)) for form, candidates in names.items()}


# --- linking ----------------------------------------------------------------------------------------------


@dataclass
class _Match:
    start: int  # character offsets
    end: int
    form: SurfaceForm


class EntityLinker:
    """Links entities to the gazetteer, corrects their labels, adds missed ones, notes spelling variants."""

    name = "entities"

    def __init__(self, settings: EntitySettings | Mapping[str, Any] | None = None) -> None:
        settings = EntitySettings.of(settings, "entities")
        from spacy.matcher import PhraseMatcher

        extra = [settings.gazetteer] if isinstance(settings.gazetteer, str) else list(settings.gazetteer)
        try:
            self.gazetteer = load_gazetteer(extra, include_builtin=settings.builtin)
        except InputError as error:
            raise ConfigurationError(f"gazetteer: {error}") from None
        self.nlp = load_spacy(settings.model)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        forms = list(self.gazetteer.names)
        for form, doc in zip(forms, self.nlp.tokenizer.pipe(forms, batch_size=1000)):
            self.matcher.add(form, [doc])
        # Russian and Ukrainian names of the entries, in all their cases (matchers built on first use)
        self.cyrillic = CyrillicNames({e.name: (e.key, e.type) for e in self.gazetteer.entries.values()})

    def models(self) -> dict[str, str]:
        return {"gazetteer": f"{len(self.gazetteer.entries)} entries"}

    def _matches(self, doc: Any) -> list[_Match]:
        found: list[_Match] = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            written = span.text
            for form in self.gazetteer.names[self.nlp.vocab.strings[match_id]]:
                if form.exact_case and written != form.text:
                    continue
                if form.text[:1].isupper() and not written[:1].isupper():
                    continue  # "javelin" the sport, not the missile
                found.append(_Match(span.start_char, span.end_char, form))
                break
        # longest first, then leftmost: "Donetsk People's Republic" beats "Donetsk"
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        chosen: list[_Match] = []
        for match in found:
            if all(match.end <= c.start or match.start >= c.end for c in chosen):
                chosen.append(match)
        return sorted(chosen, key=lambda m: m.start)

    def _link(self, entity: Entity, form: SurfaceForm) -> None:
        entry = self.gazetteer.entries[form.entry]
        entity.canonical = entry.name
        entity.entity_id = entry.key
        entity.type = entry.type
        entity.variant = form.variant
        entity.profile = dict(entry.profile) or None
        entity.label = entry.label

    def _new_entity(self, document: Document, match: _Match) -> Entity:
        analysis = document.analysis
        entry = self.gazetteer.entries[match.form.entry]
        entity = Entity(
            id=stable_id("ent", analysis.article.id, match.start, match.end, entry.label),
            span=Span.of(analysis.article.text, match.start, match.end),
            label=entry.label,
        )
        self._link(entity, match.form)
        return entity

    def process(self, documents: Sequence[Document]) -> None:
        for document in documents:
            if document.doc is None:
                raise ConfigurationError("the entities stage needs the backbone stage before it")
            self._process(document)

    def _cyrillic_matches(self, document: Document) -> list[_Match]:
        return [_Match(m.start, m.end, SurfaceForm(m.text, m.entry, m.variant))
                for m in self.cyrillic.matches(document.doc, document.analysis.article.language or "")]

    def _process(self, document: Document) -> None:
        text = document.text
        if document.analysis.article.language in CYRILLIC:
            matches = self._cyrillic_matches(document)
        else:
            matches = self._matches(document.doc)
        kept: list[Entity] = []
        used: set[int] = set()  # indexes of matches already turned into or linked to an entity
        for entity in document.analysis.entities:
            start, end = entity.span.start, entity.span.end
            overlapping = [i for i, m in enumerate(matches) if m.start < end and m.end > start]
            if not overlapping:
                kept.append(entity)
                continue
            inside = [i for i in overlapping if matches[i].start >= start and matches[i].end <= end]
            if len(overlapping) == 1 and (matches[overlapping[0]].start, matches[overlapping[0]].end) == (start, end):
                self._link(entity, matches[overlapping[0]].form)  # spaCy sm often calls places PERSON
                used.add(overlapping[0])
                kept.append(entity)
            elif (len(inside) == len(overlapping) and entity.label in _NON_NAME_LABELS
                  and self._has_other_words(text, start, end, matches, inside)):
                kept.append(entity)  # "the Kharkov offensive": the event stays, the place is added beside it
            elif len(inside) == 1 == len(overlapping) and self._only_modifiers(text, start, end, matches[inside[0]]):
                self._link(entity, matches[inside[0]].form)  # "Central Donetsk" is still Donetsk
                used.add(inside[0])
                kept.append(entity)
            elif len(inside) == len(overlapping) and self._has_other_names(text, start, end, matches, inside):
                kept.append(entity)  # a longer name we do not know; the known names inside are added ...
                if entity.label == "PERSON":
                    used.update(inside)  # ... but not in a person's name: "Yuri Nikolaev" is no city
            # else: the NER span is broken or shorter than the name ("Kharkov" of "Kharkov region",
            # "Kiev" of "Kiev cake", "Lugansk People's Republic (LPR"): the matches replace it.
        for index, match in enumerate(matches):
            if index in used:
                continue
            entry = self.gazetteer.entries[match.form.entry]
            if entry.require_ner and not any(
                e.span.start == match.start and e.span.end == match.end for e in document.analysis.entities
            ):
                continue
            if any(e.span.start == match.start and e.span.end == match.end for e in kept):
                continue
            kept.append(self._new_entity(document, match))
        kept.sort(key=lambda e: (e.span.start, -e.span.end))
        document.analysis.entities = kept

    @staticmethod
    def _remainder_words(text: str, start: int, end: int, covered: list[tuple[int, int]]) -> list[str]:
        pieces = []
        cursor = start
        for s, e in sorted(covered):
            pieces.append(text[cursor:s])
            cursor = e
        pieces.append(text[cursor:end])
        return re.findall(r"[\w.\u2019']+", " ".join(pieces))

    def _only_modifiers(self, text: str, start: int, end: int, match: _Match) -> bool:
        words = self._remainder_words(text, start, end, [(match.start, match.end)])
        return bool(words) and all(w.lower() in _MODIFIERS for w in words)

    def _has_other_words(self, text: str, start: int, end: int, matches: list[_Match], inside: list[int]) -> bool:
        words = self._remainder_words(text, start, end, [(matches[i].start, matches[i].end) for i in inside])
        return any(w.lower() not in _MODIFIERS for w in words)

    def _has_other_names(self, text: str, start: int, end: int, matches: list[_Match], inside: list[int]) -> bool:
        words = self._remainder_words(text, start, end, [(matches[i].start, matches[i].end) for i in inside])
        return any(w[:1].isupper() and w.lower() not in _MODIFIERS for w in words)


class EntitySettings(StageSettings):
    gazetteer: str | list[str] = Field(default_factory=list, description="extra gazetteer files (YAML or CSV)")
    builtin: bool = Field(True, description="the shipped gazetteer (false: only your files)")
    model: str = Field(MODEL_PACKAGE, description="the spaCy pipeline whose vocabulary matches names")


@register_stage("entities", requires=("backbone",), assigns=("entities",), languages=ENGLISH | CYRILLIC,
                settings=EntitySettings)
def make_entities(settings: EntitySettings) -> EntityLinker:
    return EntityLinker(settings)
