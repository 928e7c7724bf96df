"""The corpus commands over a stored corpus: friendly subcommands, SQL, exports, and one-line errors."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from sourcetrace.cli import app

runner = CliRunner()


def test_claims_by_speaker_as_jsonl(relay_corpus):
    result = runner.invoke(app, ["claims", "--db", str(relay_corpus), "--speaker", "Peskov", "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["claim_id"] for r in rows] == ["claim-2", "claim-1"]
    assert rows[1]["channel"] == "RIA Novosti"


def test_clusters_since_and_timeline(relay_corpus):
    listed = runner.invoke(app, ["clusters", "--db", str(relay_corpus), "--since", "2022-09-01", "-f", "json"])
    assert listed.exit_code == 0, listed.output
    [cluster] = json.loads(listed.stdout)
    assert cluster["first_outlet"] == "RIA Novosti" and cluster["n_outlets"] == 2
    timeline = runner.invoke(app, ["clusters", "--db", str(relay_corpus), "--id", cluster["cluster_id"], "-f", "jsonl"])
    assert [json.loads(line)["outlet"] for line in timeline.stdout.splitlines()] == ["RIA Novosti", "Echo Daily"]


def test_sources_table(relay_corpus):
    result = runner.invoke(app, ["sources", "--db", str(relay_corpus), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("source,source_kind,target,target_kind,n_attributions")
    assert "Dmitry Peskov,named_person,RIA Novosti,channel,1,1,1" in result.stdout


def test_query_exports_csv_parquet_jsonl(relay_corpus, tmp_path):
    sql = "SELECT claim_id, outlet, published, embedding FROM claims ORDER BY claim_id"
    for suffix in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"claims.{suffix}"
        result = runner.invoke(app, ["query", sql, "--db", str(relay_corpus), "--out", str(out)])
        assert result.exit_code == 0, result.output
    exported = pq.read_table(tmp_path / "claims.parquet").column("claim_id").to_pylist()
    assert exported == ["claim-1", "claim-2", "claim-3"]
    csv_lines = (tmp_path / "claims.csv").read_text().splitlines()
    assert csv_lines[0] == '"claim_id","outlet","published","embedding"' and csv_lines[1].startswith('"claim-1","RIA')
    first = json.loads((tmp_path / "claims.jsonl").read_text().splitlines()[0])
    assert first["published"] == "2022-09-12"


def test_bad_sql_and_missing_corpus_are_one_line_errors(relay_corpus, tmp_path):
    bad = runner.invoke(app, ["query", "SELECT nothing FROM nowhere", "--db", str(relay_corpus)])
    assert bad.exit_code == 2 and "query failed" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["claims", "--db", str(tmp_path)])
    assert missing.exit_code == 1 and "not a corpus folder" in missing.output
    wrong = runner.invoke(app, ["query", "SELECT 1", "--db", str(relay_corpus), "--out", str(tmp_path / "x.xlsx")])
    assert wrong.exit_code == 2 and "export to .csv, .parquet or .jsonl" in wrong.output


def test_run_with_the_fast_profile_stores_what_produced_each_analysis(tmp_path):
    source = tmp_path / "two.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "Moscow explained the withdrawal as a goodwill gesture, the ministry said."})
        + "\n" + json.dumps({"id": "b", "text": "Pushilin said there was heavy fighting near Bakhmut on Monday."})
        + "\n", encoding="utf-8")
    out = tmp_path / "corpus"
    result = runner.invoke(app, ["run", str(source), "--out", str(out), "--workers", "0", "--no-embed",
                                 "--no-progress", "--profile", "fast"])
    assert result.exit_code == 0, result.output
    from sourcetrace.corpus.store import CorpusStore

    with CorpusStore.open(out) as store:
        models = [json.loads(row["analysis"])["meta"]["models"] for row in store.rows("SELECT analysis FROM articles")]
    assert len(models) == 2
    assert all("(no tagger)" in m["attribution"] and m["techniques"] == "rules" for m in models)
    typo = runner.invoke(app, ["run", str(source), "--out", str(tmp_path / "x"), "--profile", "quick"])
    assert typo.exit_code == 2 and "unknown profile 'quick'" in typo.output

    # a resume keeps the settings the stored articles were made with
    common = ["run", str(source), "--out", str(out), "--workers", "0", "--no-embed", "--no-progress"]
    other = runner.invoke(app, [*common, "--stages", "backbone"])
    assert other.exit_code == 1 and "2 articles analysed with all stages" in other.output
    assert "--mixed-settings" in other.output and "Traceback" not in other.output
    same = runner.invoke(app, [*common, "--profile", "fast"])
    assert same.exit_code == 0 and "0 analysed, 2 already done" in same.output
    mixed = runner.invoke(app, [*common, "--stages", "backbone", "--mixed-settings"])
    assert mixed.exit_code == 0 and "2 already done" in mixed.output
    assert json.loads((out / "settings.json").read_text())["stages"] == ["backbone"]
