"""The Parquet reader: rows to articles, configurable columns, typed dates, and clear errors per row."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from sourcetrace.errors import InputError
from sourcetrace.ingest import ReadOptions, input_warnings, read_inputs
from sourcetrace.ingest.common import FieldMap

FIRST = "Lt. Col. Andrei Marochko said NATO officers had been seen near Kharkov."
SECOND = "The Kremlin said on Tuesday that talks with Kyiv were not on the agenda."


def _read(path, options=None):
    return list(read_inputs([str(path)], options or ReadOptions()))


def test_rows_become_articles_with_metadata(tmp_path):
    path = tmp_path / "crawl.parquet"
    table = pa.table(
        {
            "id": ["a1", "a2"],
            "text": [FIRST, SECOND],
            "published": [dt.date(2022, 9, 13), dt.date(2022, 9, 14)],
            "outlet": ["Sputnik", "TASS"],
            "url": ["https://example.org/a1", None],
            "extra": [1, 2],
        }
    )
    pq.write_table(table, path)
    first, second = _read(path)
    assert (first.id, first.text, first.published, first.outlet, first.url) == (
        "a1", FIRST, "2022-09-13", "Sputnik", "https://example.org/a1"
    )
    assert (second.id, second.published, second.outlet, second.url) == ("a2", "2022-09-14", "TASS", None)


def test_configurable_columns_and_fallback_ids(tmp_path):
    path = tmp_path / "posts.parquet"
    pq.write_table(pa.table({"content": [FIRST, SECOND], "date": ["2022-09-13T10:00:00Z", "13.09.2022"]}), path)
    options = ReadOptions(fields=FieldMap(text="content", published="date"))
    articles = _read(path, options)
    assert [a.id for a in articles] == ["posts-1", "posts-2"]
    assert [a.published for a in articles] == ["2022-09-13", "2022-09-13"]


def test_bad_rows_are_reported_with_their_row_and_the_rest_read(tmp_path):
    path = tmp_path / "mixed.parquet"
    pq.write_table(pa.table({"id": ["ok", "empty", "nodate"], "text": [FIRST, "  ", SECOND],
                             "published": ["2022-09-13", None, "yesterday"]}), path)
    items = _read(path)
    assert [isinstance(i, InputError) for i in items] == [False, True, False]
    assert str(items[1]) == f"{path}:2 (record empty): the 'text' field is empty"
    # an unreadable date keeps the article, undated, with a warning
    assert items[2].id == "nodate" and items[2].published is None
    assert "cannot read the date 'yesterday'" in " ".join(input_warnings(items[2]))


def test_missing_text_column_and_broken_file(tmp_path):
    path = tmp_path / "notext.parquet"
    pq.write_table(pa.table({"body": [FIRST]}), path)
    [error] = _read(path)
    assert isinstance(error, InputError) and "no 'text' column" in str(error)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    [error] = _read(broken)
    assert isinstance(error, InputError) and str(error).startswith(f"{broken}: not a readable Parquet file")


def test_large_file_is_read_in_batches(tmp_path):
    path = tmp_path / "big.parquet"
    rows = 5000
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(rows)], "text": [SECOND] * rows}), path, row_group_size=700)
    articles = _read(path)
    assert len(articles) == rows and articles[-1].id == f"r{rows - 1}"
