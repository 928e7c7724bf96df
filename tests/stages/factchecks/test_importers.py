"""Readers of fact-check collections: ClaimReview shapes, EUvsDisinfo, narratives, CheckThat! verified claims."""

from __future__ import annotations

import json

import pytest

from sourcetrace.errors import InputError
from sourcetrace.stages.factchecks.importers import read_factchecks
from tests.conftest import SHARED, require_shared

FACTCHECKS = SHARED / "data" / "factchecks"

REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://www.stopfake.org/en/fake-nato-instructors-in-kharkiv/",
    "claimReviewed": "NATO instructors are fighting alongside Ukrainian troops near Kharkiv.",
    "datePublished": "2022-09-20",
    "author": {"@type": "Organization", "name": "StopFake"},
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "alternateName": "False"},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Organization", "name": "Sputnik"},
                     "appearance": [{"@type": "CreativeWork", "url": "https://example.org/sputnik-story"}]},
}


def test_claimreview_object_list_and_jsonl_give_the_same_record(tmp_path) -> None:
    single = tmp_path / "one.json"
    single.write_text(json.dumps(REVIEW), encoding="utf-8")
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([REVIEW, {"@type": "WebPage"}]), encoding="utf-8")
    lines = tmp_path / "reviews.jsonl"
    lines.write_text(json.dumps(REVIEW) + "\n\n" + json.dumps({**REVIEW, "url": "https://x.org/2"}) + "\n",
                     encoding="utf-8")
    (one,) = read_factchecks(single)
    assert list(read_factchecks(listed)) == [one]
    assert [r.url for r in read_factchecks(lines)] == [REVIEW["url"], "https://x.org/2"]
    assert (one.verdict, one.outlet, one.date, one.claimant) == ("False", "StopFake", "2022-09-20", "Sputnik")
    assert one.appeared_in == "https://example.org/sputnik-story"


def test_google_fact_check_api_shape(tmp_path) -> None:
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"claims": [{"text": "Ukraine shelled its own city.", "claimant": "RT",
                                            "claimReview": [{"publisher": {"name": "AFP"}, "url": "https://afp/x",
                                                             "textualRating": "Misleading",
                                                             "reviewDate": "2022-03-01T10:00:00Z"}]}]}),
                    encoding="utf-8")
    (record,) = read_factchecks(path, "claimreview")
    assert (record.claim, record.outlet, record.verdict, record.date) == (
        "Ukraine shelled its own city.", "AFP", "Misleading", "2022-03-01")


def test_broken_jsonl_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(REVIEW) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        list(read_factchecks(path, "claimreview"))


def test_shared_collections_read_with_stable_ids() -> None:
    euvs = list(read_factchecks(require_shared(FACTCHECKS / "euvsdisinfo")))
    assert len(euvs) > 10_000 and len({r.id for r in euvs}) == len(euvs)
    assert euvs[0].url.startswith("https://euvsdisinfo.eu/report/") and euvs[0].verdict == "disinformation"
    narratives = list(read_factchecks(FACTCHECKS / "narratives" / "pro-kremlin-narratives.json"))
    assert len({r.narrative for r in narratives} - {None}) == 13  # the 14th "narrative" is blank in the data
    vclaims = list(read_factchecks(FACTCHECKS / "clef2020-task2" / "verified_claims.docs.tsv"))
    assert [r.id for r in vclaims[:3]] == [r.id for r in read_factchecks(
        FACTCHECKS / "clef2020-task2" / "verified_claims.docs.tsv")][:3]
    by_id = {r.extra["vclaim_id"]: r for r in vclaims}
    assert by_id["10"].claim.endswith('as "dark white."')  # CSV quoting undone


def test_a_folder_of_collections_is_found_whole_and_its_other_files_left_alone(tmp_path) -> None:
    from sourcetrace.stages.factchecks.importers import find_collections

    assert find_collections(require_shared(FACTCHECKS)) == [
        (FACTCHECKS / "clef2020-task2" / "verified_claims.docs.tsv", "clef-vclaims"),
        (FACTCHECKS / "euvsdisinfo" / "posts.csv", "euvsdisinfo"),
        (FACTCHECKS / "narratives" / "pro-kremlin-narratives.json", "narratives"),
    ]
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "one.json").write_text(json.dumps(REVIEW), encoding="utf-8")
    (tmp_path / "tweets.queries.tsv").write_text("1\tnot a fact-check\n", encoding="utf-8")
    assert find_collections(tmp_path) == [(tmp_path / "reviews" / "one.json", "claimreview")]
