"""`sourcetrace factchecks import` of a folder of collections: the one command that turns matching on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sourcetrace.cli import app

runner = CliRunner()


def review(url: str, claim: str) -> dict:
    return {"@type": "ClaimReview", "url": url, "claimReviewed": claim, "datePublished": "2022-09-20",
            "author": {"name": "StopFake"}, "reviewRating": {"alternateName": "False"}}


def test_importing_a_folder_imports_every_collection_in_it(tmp_path) -> None:
    folder = tmp_path / "factchecks"
    (folder / "stopfake").mkdir(parents=True)
    (folder / "stopfake" / "reviews.jsonl").write_text(
        json.dumps(review("https://fc.example/1", "NATO officers command Ukrainian units in Kharkiv.")) + "\n",
        encoding="utf-8")
    (folder / "clef").mkdir()
    (folder / "clef" / "verified_claims.docs.tsv").write_text(
        "vclaim_id\tvclaim\ttitle\n7\tThe flu vaccine contains microchips.\tMicrochip vaccine\n", encoding="utf-8")
    (folder / "clef" / "tweets.queries.tsv").write_text("1\tnot a fact-check\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["factchecks", "import", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    stats = runner.invoke(app, ["factchecks", "stats", "--db", str(db)])
    assert sorted(stats.output.split("\n")[:2]) == ["claimreview\t1", "clef2020\t1"]
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = runner.invoke(app, ["factchecks", "import", str(empty), "--db", str(db)])
    assert refused.exit_code != 0 and "no fact-check collection found" in refused.output
