"""Usage choices in Russian and Ukrainian texts that signal a side (`lexicons/usage_ru_uk.yaml`): "на Украине"
or "в Украине", "СВО" or "война", "киевский режим", "ВСУ" or "украинские военные", Soviet names of renamed
places, Russian or Ukrainian spellings of Ukrainian places. Each match is a marker with its span, the
explanation from the lexicon and `details.signals` (whose usage it is)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from sourcetrace._yaml import load_yaml

USAGE_FILE = "usage_ru_uk.yaml"


@dataclass(frozen=True)
class UsageEntry:
    marker: str
    languages: frozenset[str]
    pattern: re.Pattern[str]
    signals: str
    explanation: str


def read_usage(folder: Path) -> list[UsageEntry]:
    """The usage entries of a lexicon folder (none when the folder has no usage file)."""
    path = folder / USAGE_FILE
    if not path.exists():
        return []
    try:
        data = load_yaml(path) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from None
    entries = []
    for entry in data.get("entries", []):
        flags = 0 if entry.get("case_sensitive") else re.IGNORECASE
        entries.append(UsageEntry(marker=entry["marker"], languages=frozenset(entry["languages"]),
                                  pattern=_pattern(entry["phrases"], flags), signals=entry["signals"],
                                  explanation=" ".join(entry["explanation"].split())))
    return entries


def _pattern(phrases: list[str], flags: int) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        words = []
        for word in phrase.split():
            wildcard = word.endswith("*")
            words.append(re.escape(word.rstrip("*")) + (r"\w*" if wildcard else ""))
        parts.append(r"\s+".join(words))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", flags)


def usage_markers(entries: list[UsageEntry], text: str, language: str | None
                  ) -> list[tuple[str, int, int, str, dict[str, str]]]:
    """(marker, start, end, explanation, details) of each usage choice in a text of `language`; where two
    entries match overlapping words the longer match is kept."""
    found = []
    for entry in entries:
        if language not in entry.languages:
            continue
        for match in entry.pattern.finditer(text):
            found.append((entry.marker, match.start(), match.end(), entry.explanation,
                          {"signals": entry.signals, "words": match.group(0)}))
    found.sort(key=lambda item: (item[1], -(item[2] - item[1])))
    kept: list[tuple[str, int, int, str, dict[str, str]]] = []
    for item in found:
        if kept and item[1] < kept[-1][2]:
            continue
        kept.append(item)
    return kept
