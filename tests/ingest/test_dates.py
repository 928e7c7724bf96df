"""Publication dates in records: unambiguous day-first and month-first dates are read; a date that cannot be
read leaves the article undated with a warning instead of dropping it."""

import json

import pytest

from sourcetrace.errors import InputError
from sourcetrace.ingest import ReadOptions, input_warnings, read_inputs
from sourcetrace.ingest.common import normalise_date

TEXT = "The regional administration said repairs to the bridge would take weeks."


@pytest.mark.parametrize(
    ("value", "expected"),
    [("15/03/2024", "2024-03-15"), ("03/15/2024", "2024-03-15"), ("15.03.2024", "2024-03-15"),
     ("15-03-2024", "2024-03-15"), ("2024-03-15T08:00:00Z", "2024-03-15"), ("March 15, 2024", "2024-03-15")],
)
def test_unambiguous_dates_are_read(value, expected):
    assert normalise_date(value, "x") == expected


@pytest.mark.parametrize("value", ["05/03/2024", "31/02/2024", "yesterday"])
def test_ambiguous_or_impossible_dates_are_not_guessed(value):
    with pytest.raises(InputError, match="cannot read the date"):
        normalise_date(value, "x")


def test_a_record_with_an_unreadable_date_is_kept_undated_with_a_warning(tmp_path):
    path = tmp_path / "feed.jsonl"
    records = [{"id": "day-first", "text": TEXT, "published": "15/03/2024"},
               {"id": "ambiguous", "text": TEXT, "published": "05/03/2024"},
               {"id": "words", "text": TEXT, "published": "last Tuesday"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    items = list(read_inputs([str(path)], ReadOptions()))
    assert not any(isinstance(item, InputError) for item in items)
    by_id = {item.id: item for item in items}
    assert (by_id["day-first"].published, input_warnings(by_id["day-first"])) == ("2024-03-15", [])
    for record_id, value in (("ambiguous", "05/03/2024"), ("words", "last Tuesday")):
        assert by_id[record_id].published is None
        [warning] = input_warnings(by_id[record_id])
        assert value in warning and "without a date" in warning
    assert "warnings" not in by_id["words"].model_dump()  # the serialised article is unchanged


def test_csv_record_with_an_unreadable_date_is_kept(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(f'id,text,published\nc1,"{TEXT}",2024/13/45\n', encoding="utf-8")
    [article] = list(read_inputs([str(path)], ReadOptions()))
    assert article.id == "c1" and article.published is None and input_warnings(article)


def test_a_bad_published_option_is_still_an_error(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    [error] = list(read_inputs([str(path)], ReadOptions(published="soon")))
    assert isinstance(error, InputError) and error.record == "a"
