"""Checks the Python environment it runs in is the lean, licence-clean install the README promises.

Run it with the environment's own interpreter (`/path/to/venv/bin/python .ci/check_env.py`). It lists the
installed distributions (importlib.metadata) and fails (exit 1) on any of:
- a copyleft licence (GPL, AGPL, LGPL, SSPL, EUPL, CC-BY-SA) that no free alternative offsets, in any of the
  licence statements: License-Expression, the License classifiers, the License field (an "X OR GPL" expression,
  or classifiers naming both, is a choice and passes; a commercial one is not; a classifier saying MIT beside a
  License field saying GPL fails);
- a GPU or training stack: `torch`, `torchvision`, `torchaudio`, `triton`, `transformers`, `nvidia-*`;
- more than `--max-gb` (default 1.5) of installed files in all.
It prints the count, the total size, the largest distributions and any licence it could not read.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib.metadata import Distribution, distributions
from pathlib import Path

FORBIDDEN = {"torch", "torchvision", "torchaudio", "triton", "transformers"}
FORBIDDEN_PREFIXES = ("nvidia-",)
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|GNU (Affero |Lesser |Library )?General Public|SSPL|EUPL|CC-BY-SA|"
                      r"Creative Commons Attribution-ShareAlike)", re.IGNORECASE)
# a paid licence is no way out of a copyleft one ("AGPL or Artifex Commercial License")
PAID = re.compile(r"commercial|proprietary", re.IGNORECASE)
FREE = re.compile(r"\b(MIT|BSD|Apache|ISC|PSF|Python|public domain|Unlicense|MPL|zlib)\b", re.IGNORECASE)
# packages whose metadata names a copyleft licence beside a free one that they are genuinely offered under (checked
# by hand against the project's own licence files); none is known today
DUAL_LICENSED: frozenset[str] = frozenset()
# a runtime-library exception lets any program link the library (GCC's, the Classpath one)
EXCEPTION = re.compile(r"\bWITH\s+(GCC-exception|Classpath-exception|LLVM-exception)[\w.-]*", re.IGNORECASE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def size_of(dist: Distribution) -> int:
    total = 0
    for file in dist.files or []:
        try:
            total += Path(str(dist.locate_file(file))).stat().st_size
        except OSError:
            pass
    return total


def copyleft_expression(expression: str) -> bool:
    """Whether an SPDX-like expression forces a copyleft licence: every OR alternative names one."""
    expression = EXCEPTION.sub("", expression)
    alternatives = [a for a in re.split(r"\s+OR\s+|\s+or\s+|/", expression) if not PAID.search(a)] or [expression]
    return all(COPYLEFT.search(alternative) for alternative in alternatives)


def licence_of(dist: Distribution) -> tuple[str, bool | None]:
    """(what the metadata says, whether it is copyleft); None where nothing readable is declared.

    Every licence statement is read: License-Expression, the License classifiers and the License field. A package
    is copyleft when any of them is (a classifier saying MIT does not outweigh a License field saying GPLv3), unless
    it is in `DUAL_LICENSED`."""
    meta = dist.metadata
    statements: list[tuple[str, bool]] = []
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        statements.append((expression, copyleft_expression(expression)))
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    classifiers = [c for c in classifiers if c not in ("OSI Approved", "")]
    free = [c for c in classifiers if not PAID.search(c)] or classifiers
    if classifiers:
        statements.append(("; ".join(classifiers), all(COPYLEFT.search(c) for c in free)))
    first_line = (meta.get("License") or "").strip().split("\n")[0].strip()
    if first_line and len(first_line) <= 200:  # a name, or the first line of a licence's full text
        # a field listing free licences beside the copyleft one ("public domain, Python, 2-Clause BSD, GPL 3") is a
        # choice, as classifiers naming both are
        statements.append((f"License: {first_line}", copyleft_expression(first_line) and not FREE.search(first_line)))
    if not statements:
        return "", None
    text = "; ".join(statement for statement, _ in statements)
    copyleft = any(flag for _, flag in statements) and canonical(meta["Name"] or "") not in DUAL_LICENSED
    return text, copyleft


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-gb", type=float, default=1.5)
    parser.add_argument("--top", type=int, default=10, help="how many of the largest distributions to list")
    args = parser.parse_args(argv)

    problems: list[str] = []
    unknown: list[str] = []
    sizes: dict[str, int] = {}
    seen: set[str] = set()
    for dist in distributions():
        name = canonical(dist.metadata["Name"] or "?")
        if name in seen:  # the same distribution found twice on the path
            continue
        seen.add(name)
        sizes[name] = size_of(dist)
        if name in FORBIDDEN or name.startswith(FORBIDDEN_PREFIXES):
            problems.append(f"{name} {dist.version}: a GPU or training package in the core environment")
        licence, copyleft = licence_of(dist)
        if copyleft:
            problems.append(f"{name} {dist.version}: copyleft licence ({licence})")
        elif copyleft is None:
            unknown.append(f"{name} {dist.version}" + (f" ({licence})" if licence else ""))
    total = sum(sizes.values())
    print(f"{sys.prefix}: {len(sizes)} distributions, {total / 1e6:,.0f} MB installed")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {size / 1e6:8.1f} MB  {name}")
    if unknown:
        print(f"no licence in the metadata (checked by hand, see README): {', '.join(sorted(unknown))}")
    if total > args.max_gb * 1e9:
        problems.append(f"{total / 1e9:.2f} GB installed, over the {args.max_gb} GB limit")
    for problem in problems:
        print(f"FAIL: {problem}")
    print("environment check: " + ("failed" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
