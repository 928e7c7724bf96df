"""Writes `sourcetrace/stages/attribution/first_name_genders.tsv`: first name -> gender, from Faker's name lists.

Faker (MIT) ships first-name lists per locale; the Latin-script locales' lists are read (Cyrillic, Greek, CJK
lists are left out: English news spells those names otherwise) and a name counts as one gender when at least
twice as many locales list it so as the other way ("Donald", "Ursula"; "Hillary" and "Jean" stay out). The
table is generated once and shipped, so the run time needs no Faker: `python -m training.attribution.first_names`
(with the `train` extra) writes it again.
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=NAMES_FILE)
    args = parser.parse_args(argv)
    genders = faker_first_name_genders()
    header = (f"# first name -> gender from Faker {version('faker')} (MIT), Latin-script locales' first-name lists; "
              "a name is one gender when at least twice as many locales list it so as the other way. "
              "Written by python -m training.attribution.first_names\n")
    lines = "".join(f"{name}\t{gender}\n" for name, gender in sorted(genders.items()))
    args.out.write_text(header + lines, encoding="utf-8")
    print(f"wrote {args.out} ({len(genders)} names)")


if __name__ == "__main__":
    main()
