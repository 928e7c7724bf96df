"""`sourcetrace evaluate factcheck-matching` on a slice of the real CheckThat! 2020 Task 2 dev data."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.datasets.checkthat import average_precision, read_qrels, read_queries, retrieval_metrics
from tests.conftest import SHARED, require_shared

CLEF = SHARED / "data" / "factchecks" / "clef2020-task2"


def test_average_precision_follows_the_task_scorer() -> None:
    assert average_precision(["a", "b", "c"], {"b"}, 5) == pytest.approx(0.5)
    assert average_precision(["a", "b", "c"], {"b"}, 1) == 0.0
    assert average_precision(["b", "x", "c"], {"b", "c"}, 3) == pytest.approx((1 + 2 / 3) / 2)
    metrics = retrieval_metrics({"q1": ["b"], "q2": ["z", "y"]}, {"q1": {"b"}, "q2": {"y"}})
    assert metrics["P@1"] == 0.5 and metrics["MAP@5"] == pytest.approx(0.75)


@pytest.fixture(scope="module")
def clef_slice(tmp_path_factory):
    """12 dev queries, their verified claims and 90 others: small enough to embed in seconds."""
    require_shared(CLEF)
    folder = tmp_path_factory.mktemp("clef")
    queries = read_queries(CLEF / "dev" / "tweets.queries.tsv")
    qrels = read_qrels(CLEF / "dev" / "tweet-vclaim-pairs.qrels")
    chosen = sorted(qrels)[:12]
    wanted = set().union(*(qrels[q] for q in chosen))
    with (CLEF / "verified_claims.docs.tsv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream, delimiter="\t"))
    kept = [rows[0]] + [r for r in rows[1:] if r[0] in wanted] + [r for r in rows[1:91] if r[0] not in wanted]
    with (folder / "vclaims.tsv").open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, delimiter="\t").writerows(kept)
    with (folder / "queries.tsv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter="\t")
        writer.writerow(["", "tweet_content"])
        writer.writerows([q, queries[q]] for q in chosen)
    (folder / "qrels").write_text("".join(f"{q}\t0\t{v}\t1\n" for q in chosen for v in sorted(qrels[q])),
                                  encoding="utf-8")
    return folder


def test_cli_prints_map_for_sourcetrace_and_bm25(clef_slice) -> None:
    args = ["evaluate", "factcheck-matching", "--vclaims", str(clef_slice / "vclaims.tsv"),
            "--queries", str(clef_slice / "queries.tsv"), "--qrels", str(clef_slice / "qrels"),
            "--db", str(clef_slice / "store.duckdb")]
    result = CliRunner().invoke(app, args + ["--json"])
    assert result.exit_code == 0, result.output
    import json

    metrics = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(metrics) == {"sourcetrace", "bm25", "minilm", "first_scorer"}
    assert metrics["sourcetrace"]["queries"] == 12
    # On 100 candidates the right verified claim is nearly always first; a broken ranker falls far below.
    assert metrics["sourcetrace"]["MAP@5"] >= 0.8
    assert metrics["sourcetrace"]["MAP@5"] >= metrics["bm25"]["MAP@5"] - 0.05
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "MAP@5" in table.stdout and "BM25 (claim + title)" in table.stdout


def test_the_evaluation_cache_is_keyed_on_the_collection_not_its_path(tmp_path) -> None:
    from sourcetrace.datasets.checkthat import cache_db_for

    rows = "vclaim_id\tvclaim\ttitle\nvclaim-1\tA claim.\tA title\n"
    first, copy, other = tmp_path / "a.tsv", tmp_path / "copy" / "a.tsv", tmp_path / "other" / "a.tsv"
    copy.parent.mkdir()
    other.parent.mkdir()
    first.write_text(rows, encoding="utf-8")
    copy.write_text(rows, encoding="utf-8")
    other.write_text(rows.replace("A claim.", "Another claim."), encoding="utf-8")
    assert cache_db_for(first) == cache_db_for(copy)
    assert cache_db_for(first) != cache_db_for(other)
