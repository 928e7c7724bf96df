"""Which third-person pronoun can stand for a named speaker: "he", "she", or either (unknown).

Resolves "she said" to the last named speaker it can refer to, not merely the last one. Evidence, in
order: a gendered word in the speaker's mention or role ("Ms.", "spokeswoman", "Sir"; `male_words` and
`female_words` in the attribution lexicon, user-extendable), then the first name, looked up in a table generated
from the first-name lists that Faker (MIT) ships for its Latin-script locales (`first_name_genders.tsv`, written by
`python -m training.attribution.first_names`): a name counts as one gender when at least twice as many locales list
it so as the other way ("Donald", "Ursula"); names Faker leaves out or ties ("Hillary", "Megyn") come from the US
Social Security Administration's baby-name counts, at least 95% one way. Only Faker's names also count as the sign
that a capitalised word opens a person's name (`first_name_genders`): many US first names are surnames and places in
the news ("Austin", "Madison"). Unknown is the answer whenever the evidence is missing or mixed, so an unknown
speaker stays a candidate for either pronoun.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

Gender = Literal["male", "female"]
NAMES_FILE = Path(__file__).resolve().parent / "first_name_genders.tsv"
_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=1)
def _name_table() -> dict[str, tuple[Gender, str]]:
    table: dict[str, tuple[Gender, str]] = {}
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, gender, source = line.split("\t")
            table[name] = ("male" if gender == "male" else "female", source)
    return table


@lru_cache(maxsize=1)
def first_name_genders() -> dict[str, Gender]:
    """First name -> gender for the names that mark a person (Faker's name lists, see the module docstring)."""
    return {name: gender for name, (gender, source) in _name_table().items() if source == "faker"}


@lru_cache(maxsize=1)
def name_genders() -> dict[str, Gender]:
    """First name -> gender from every source of the table: for a pronoun's gender only."""
    return {name: gender for name, (gender, _) in _name_table().items()}


def speaker_gender(name: str, mention: str, role: str | None, male_words: set[str],
                   female_words: set[str]) -> Gender | None:
    """The gender a pronoun for this speaker would carry, or None when the text and the name do not tell."""
    words = {w.lower() for w in _WORD.findall(f"{mention} {role or ''}")}
    male, female = bool(words & male_words), bool(words & female_words)
    if male != female:
        return "male" if male else "female"
    if male and female:
        return None  # "the widow of Senator X's brother": mixed evidence
    parts = name.split()
    if len(parts) < 2:
        return None  # a surname alone says nothing
    return name_genders().get(parts[0])


def pronoun_gender(pronoun: str) -> Gender | None:
    word = pronoun.strip().lower()
    return "male" if word in ("he", "him", "his") else "female" if word in ("she", "her", "hers") else None
