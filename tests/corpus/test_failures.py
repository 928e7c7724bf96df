"""A corpus run tells the truth about what failed: every failed record is in the store's `errors` table and in
`errors.jsonl` with its record id and cause, `run` exits 1 and says how many, a record with an unreadable date
is kept undated with a warning, and a stage failing on one article leaves the others analysed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.corpus.runner import RunOptions, run_corpus
from sourcetrace.corpus.store import CorpusStore
from sourcetrace.pipeline.registry import register_stage

runner = CliRunner()

GOOD = "Officials in Sumy said the school would reopen on Monday after repairs to its roof."
BOOM = "A boom was heard near the station overnight, residents said."


def _write(path, lines: list[str]):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _records(bad: bool = True) -> list[str]:
    lines = [
        json.dumps({"id": "good", "text": GOOD, "published": "2024-03-14"}),
        json.dumps({"id": "day-first", "text": GOOD + " Again.", "published": "15/03/2024"}),
        json.dumps({"id": "undated", "text": GOOD + " Once more.", "published": "the day before yesterday"}),
    ]
    if bad:
        lines += [
            '{"id": "cut-off", "text": ',
            json.dumps({"id": "blank", "text": "   "}),
            json.dumps({"id": "good", "text": "A second record with the same id."}),
        ]
    return lines


def _run(*args: str):
    return runner.invoke(app, ["run", *args, "--workers", "0", "--no-embed", "--no-progress", "--stages", "none"])


def _errors(out):
    with CorpusStore.open(out) as store:
        return store.rows("SELECT * FROM errors ORDER BY line")


def test_run_with_bad_records_exits_1_and_stores_each_failure_with_its_record(tmp_path):
    source = _write(tmp_path / "feed.jsonl", _records())
    out = tmp_path / "corpus"
    result = _run(str(source), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "3 failed" in result.output and "Traceback" not in result.output

    stored = _errors(out)
    assert [(e["line"], e["article_id"], e["kind"]) for e in stored] == [
        (4, None, "input"), (5, "blank", "input"), (6, "good", "input")]
    assert stored[0]["error"].startswith("invalid JSON") and "is empty" in stored[1]["error"]
    assert "duplicate article id" in stored[2]["error"] and stored[2]["source"] == str(source)
    assert all(e["source"] == str(source) for e in stored)
    in_file = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((e["line"], e["record"]) for e in in_file) == [(4, None), (5, "blank"), (6, "good")]

    with CorpusStore.open(out) as store:
        assert store.count("errors") == 3
        articles = {row["article_id"]: row for row in store.articles(limit=10)}
        assert set(articles) == {"good", "day-first", "undated"}
        assert articles["day-first"]["published"] == "2024-03-15"
        assert articles["undated"]["published"] is None
        warnings = store.article("undated")["meta"]["warnings"]
        assert len(warnings) == 1 and "the day before yesterday" in warnings[0]
        assert store.article("good")["meta"]["warnings"] == []


def test_a_clean_run_exits_0(tmp_path):
    source = _write(tmp_path / "feed.jsonl", _records(bad=False))
    result = _run(str(source), "--out", str(tmp_path / "corpus"))
    assert result.exit_code == 0, result.output
    assert _errors(tmp_path / "corpus") == []


def test_rerun_reports_input_errors_once_and_forgets_fixed_ones(tmp_path):
    source = _write(tmp_path / "feed.jsonl", _records())
    out = tmp_path / "corpus"
    assert _run(str(source), "--out", str(out)).exit_code == 1
    again = _run(str(source), "--out", str(out))
    assert again.exit_code == 1 and "3 failed" in again.output
    assert len(_errors(out)) == 3  # the same three, not six

    fixed = _records(bad=False) + [json.dumps({"id": "blank", "text": GOOD + " Fixed."})]
    _write(source, fixed)
    result = _run(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert _errors(out) == []
    with CorpusStore.open(out) as store:  # the fixed record was analysed, not skipped as done
        assert store.article("blank") is not None


def test_input_errors_of_other_inputs_are_kept(tmp_path):
    first = _write(tmp_path / "first.jsonl", _records())
    second = _write(tmp_path / "second.jsonl", [json.dumps({"id": "other", "text": GOOD + " Elsewhere."})])
    out = tmp_path / "corpus"
    assert _run(str(first), "--out", str(out)).exit_code == 1
    assert _run(str(second), "--out", str(out)).exit_code == 0
    assert len(_errors(out)) == 3


class _BreaksOnBoom:
    """A stage with a bug that shows on one article only."""

    name = "breaks_on_boom"

    def models(self):
        return {}

    def process(self, documents):
        for document in documents:
            if "boom" in document.text:
                raise ValueError("cannot parse the sound")


@pytest.fixture
def breaking_stage():
    register_stage("breaks_on_boom")(lambda config: _BreaksOnBoom())


def test_a_stage_failing_on_one_article_is_an_error_with_its_id_and_the_others_are_analysed(tmp_path, breaking_stage):
    source = _write(tmp_path / "feed.jsonl", [json.dumps({"id": "calm", "text": GOOD}),
                                              json.dumps({"id": "loud", "text": BOOM}),
                                              json.dumps({"id": "calm-2", "text": GOOD + " Later."})])
    out = tmp_path / "corpus"
    result = runner.invoke(app, ["run", str(source), "--out", str(out), "--workers", "0", "--no-embed",
                                 "--no-progress", "--stages", "breaks_on_boom", "--task-size", "3"])
    assert result.exit_code == 1, result.output
    assert "1 failed" in result.output
    [error] = _errors(out)
    assert (error["article_id"], error["kind"], error["stage"]) == ("loud", "stage", "breaks_on_boom")
    assert "ValueError: cannot parse the sound" in error["error"] and error["source"] == str(source)
    assert error["line"] == 2
    with CorpusStore.open(out) as store:
        assert {row["article_id"] for row in store.articles(limit=10)} == {"calm", "loud", "calm-2"}


def test_run_corpus_summary_counts_the_failures(tmp_path):
    source = _write(tmp_path / "feed.jsonl", _records())
    out = tmp_path / "corpus"
    summary = run_corpus([source], out, RunOptions(store=str(out), stages=(), workers=0, embed_claims=False),
                         progress=False)
    assert (summary.analysed, summary.input_errors, summary.failed, summary.warned) == (3, 3, 3, 1)
