"""`.ci/check_env.py` reads every licence statement of a distribution: a classifier saying MIT does not hide a
License field saying GPL."""

import importlib.util
from email.message import Message
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / ".ci" / "check_env.py"
_SPEC = importlib.util.spec_from_file_location("check_env", _PATH)
check_env = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check_env)


class FakeDistribution:
    def __init__(self, name: str, license_field: str = "", classifiers: tuple[str, ...] = (),
                 expression: str = "") -> None:
        self.metadata = Message()
        self.metadata["Name"] = name
        if license_field:
            self.metadata["License"] = license_field
        if expression:
            self.metadata["License-Expression"] = expression
        for classifier in classifiers:
            self.metadata["Classifier"] = classifier


@pytest.mark.parametrize(("distribution", "copyleft"), [
    # pymorphy3-dicts-uk 2.4.1: the classifier says MIT, the License field GPLv3
    (FakeDistribution("pymorphy3-dicts-uk", "GPLv3 License", ("License :: OSI Approved :: MIT License",)), True),
    (FakeDistribution("razdel", "MIT", ("License :: OSI Approved :: MIT License",)), False),
    (FakeDistribution("psycopg", expression="LGPL-3.0-only"), True),
    (FakeDistribution("dual", expression="MIT OR GPL-3.0-or-later"), False),
    (FakeDistribution("paid", "Dual Licensed - GNU AFFERO GPL 3.0 or Artifex Commercial License"), True),
    # classifiers and the field both offering free licences beside the GPL: a choice
    (FakeDistribution("docutils", "public domain, Python, 2-Clause BSD, GPL 3 (see COPYING.txt)",
                      ("License :: Public Domain", "License :: OSI Approved :: BSD License",
                       "License :: OSI Approved :: GNU General Public License (GPL)")), False),
    (FakeDistribution("unstated"), None),
])
def test_copyleft_in_any_licence_statement(distribution, copyleft):
    assert check_env.licence_of(distribution)[1] is copyleft
