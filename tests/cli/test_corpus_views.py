"""The corpus commands as a desk reads them in a terminal: the claim queue at 100 columns, chosen columns,
CSV and JSON, listings that say when they are cut, one format per command, honest resume figures."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from sourcetrace.cli import app
from tests.corpus.conftest import speaker_corpus  # noqa: F401 - the fixture

runner = CliRunner()


def test_claim_queue_is_readable_at_100_columns(speaker_corpus):  # noqa: F811
    result = runner.invoke(app, ["claims", "--db", str(speaker_corpus), "--sort", "checkworthiness"],
                           env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    header = lines[1]
    for column in ("score", "speaker", "kind", "text", "outlet", "fact-check"):
        assert column in header
    assert "0.93" in lines[3] and "Maria Petrenko" in lines[3] and "match" in lines[3]
    # no word is cut: every word of the top claim is on the screen whole
    assert all(word in result.stdout for word in "40 families were evacuated".split())
    assert "Petrenk\n" not in result.stdout


def test_columns_and_formats(speaker_corpus):  # noqa: F811
    chosen = runner.invoke(app, ["claims", "--db", str(speaker_corpus), "--sort", "checkworthiness",
                                 "--columns", "checkworthiness,speaker", "-f", "csv"])
    assert chosen.exit_code == 0, chosen.output
    rows = list(csv.DictReader(io.StringIO(chosen.stdout)))
    assert list(rows[0]) == ["checkworthiness", "speaker"] and rows[0]["speaker"] == "Maria Petrenko"
    everything = runner.invoke(app, ["claims", "--db", str(speaker_corpus), "-f", "json", "--speaker", "Peskov"])
    claims = json.loads(everything.stdout)
    assert {c["speaker"] for c in claims} == {"Dmitry Peskov"} and "quantities" in claims[0]
    bad = runner.invoke(app, ["claims", "--db", str(speaker_corpus), "--columns", "nope"])
    assert bad.exit_code == 2 and "unknown column(s) nope" in bad.output


def test_a_cut_listing_says_so(speaker_corpus):  # noqa: F811
    result = runner.invoke(app, ["sources", "--db", str(speaker_corpus), "--limit", "2"])
    assert result.exit_code == 0
    assert "showing 1–2 of 5: --limit and --offset show more" in result.output
    whole = runner.invoke(app, ["sources", "--db", str(speaker_corpus)])
    assert "showing" not in whole.output


def test_cluster_by_id_prints_one_format(speaker_corpus):  # noqa: F811
    listed = json.loads(runner.invoke(app, ["clusters", "--db", str(speaker_corpus), "-f", "json"]).stdout)
    cluster_id = listed[0]["cluster_id"]
    as_json = runner.invoke(app, ["clusters", "--db", str(speaker_corpus), "--id", cluster_id, "-f", "json"])
    cluster = json.loads(as_json.stdout)  # one JSON document, nothing else
    assert cluster["cluster_id"] == cluster_id and len(cluster["members"]) == 2
    table = runner.invoke(app, ["clusters", "--db", str(speaker_corpus), "--id", cluster_id], env={"COLUMNS": "100"})
    assert "{" not in table.output and cluster_id in table.stdout and "RIA Novosti" in table.stdout


def test_speakers_command_merges_names(speaker_corpus):  # noqa: F811
    result = runner.invoke(app, ["speakers", "--db", str(speaker_corpus), "-f", "json"])
    rows = json.loads(result.stdout)
    assert [r["speaker"] for r in rows] == ["Dmitry Peskov", "Maria Petrenko"]


def test_a_resumed_run_prints_no_zero_speed(tmp_path):
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "The mayor said the bridge reopened on Monday."}) + "\n",
                      encoding="utf-8")
    common = ["run", str(source), "--out", str(tmp_path / "c"), "--workers", "0", "--no-embed", "--no-progress",
              "--stages", "backbone"]
    first = runner.invoke(app, common)
    assert first.exit_code == 0 and "1 analysed" in first.output and "articles/s" in first.output
    again = runner.invoke(app, common)
    assert again.exit_code == 0, again.output
    assert "0 analysed, 1 already done" in again.output and "nothing new to analyse" in again.output
    assert "0.0 articles/s" not in again.output and "0.0 MB" not in again.output
    assert "claim clusters (carried by 2+ articles)" in again.output
