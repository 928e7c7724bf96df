"""The speaker metric and `sourcetrace evaluate speakers` (on a made-up article and gold file)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from sourcetrace.analysis import Span, Speaker
from sourcetrace.cli import app
from sourcetrace.errors import InputError
from sourcetrace.evaluate.speakers import GoldSource, read_gold, same_speaker, score

runner = CliRunner()

TEXT = ("Finance Minister Tomas Berger said the budget was balanced. On Friday, opposition leader Marek Halloran "
        "toured the port.\n\n\"We will rebuild the docks,\" he said. Officials said the port would reopen.")


@pytest.mark.parametrize(("gold", "predicted", "resolved_from", "same"), [
    ("Marek Halloran", "Halloran", None, True),
    ("Marek Halloran", "Marek Halloran", "pronoun", True),
    ("Marek Halloran", "Tomas Berger", None, False),
    ("Joseph R. Biden Jr.", "Biden", None, True),  # a suffix is not the name's last word
    ("Obama; Hillary Clinton", "Clinton", None, True),
    ("New York Post", "The Post's", None, True),
    ("Larry O’Connor", "Larry O'Connor", None, True),  # the system writes apostrophes plain
    ("Clinton", "Clinton’s", None, True),
    (None, None, None, True),
    (None, "Tomas Berger", None, False),
    ("Marek Halloran", None, None, False),
    ("author", "the author", "author", True),
    ("author", "Tomas Berger", "name", False),
])
def test_same_speaker(gold, predicted, resolved_from, same):
    assert same_speaker(gold, predicted, resolved_from) is same


def _attribution(start: int, end: int, name: str | None):
    return SimpleNamespace(source=Span.of(TEXT, start, end), source_kind="named_person",
                           speaker=Speaker(name=name) if name else None)


def test_score_counts_found_and_resolved_per_kind():
    he = TEXT.index("he said")
    officials = TEXT.index("Officials")
    gold = [GoldSource("a", 0, 30, "named", "Tomas Berger"), GoldSource("a", he, he + 2, "pronoun", "Marek Halloran"),
            GoldSource("a", officials, officials + 9, "anonymous", None),
            GoldSource("a", 70, 84, "named", "Marek Halloran")]
    attributions = {"a": [_attribution(0, 30, "Tomas Berger"), _attribution(he, he + 2, "Tomas Berger"),
                          _attribution(officials, officials + 9, None)]}
    scores = score(gold, attributions, keep_errors=True)
    result = scores.to_dict()
    assert result["named"] == {"gold": 2, "found": 0.5, "resolved": 0.5, "right_when_found": 1.0}
    assert result["pronoun"] == {"gold": 1, "found": 1.0, "resolved": 0.0, "right_when_found": 0.0}
    assert result["anonymous"] == {"gold": 1, "found": 1.0, "resolved": 1.0, "right_when_found": 1.0}
    assert result["all"]["resolved"] == 0.5
    assert result["all"]["right_when_found"] == round(2 / 3, 3)
    assert [e["kind"] for e in scores.errors] == ["pronoun", "named"]


def test_read_gold_names_the_bad_line(tmp_path: Path):
    path = tmp_path / "speakers.jsonl"
    path.write_text('{"article": "a", "start": 0, "end": 4, "kind": "named", "speaker": "X"}\n{"article": "a"}\n',
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"speakers.jsonl:2: not a speaker line"):
        read_gold(path)


def test_evaluate_speakers_command(tmp_path: Path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "port.txt").write_text(TEXT, encoding="utf-8")
    he = TEXT.index("he said")
    rows = [{"article": "port", "start": 0, "end": 30, "kind": "named", "speaker": "Tomas Berger"},
            {"article": "port", "start": he, "end": he + 2, "kind": "pronoun", "speaker": "Marek Halloran"}]
    gold = tmp_path / "speakers.jsonl"
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "speakers", "--gold", str(gold), "--texts", str(tmp_path / "texts"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["named"]["resolved"] == 1.0
    assert scores["pronoun"]["resolved"] == 1.0


def test_evaluate_speakers_missing_text_is_one_line_error(tmp_path: Path):
    gold = tmp_path / "speakers.jsonl"
    gold.write_text('{"article": "gone", "start": 0, "end": 4, "kind": "named", "speaker": "X"}\n', encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "speakers", "--gold", str(gold), "--texts", str(tmp_path)])
    assert result.exit_code == 2
    assert "gone.txt" in result.output
