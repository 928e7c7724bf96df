"""The Wikidata dump reader and the gazetteer importer, on tiny dumps in the real format."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sourcetrace.errors import InputError
from sourcetrace.ingest.wikidata import gazetteer_entry, import_wikidata, iter_wikidata_entities, parse_types


def _claim(prop: str, qid: str, rank: str = "normal") -> dict:
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": prop,
            "datavalue": {"value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
                          "type": "wikibase-entityid"},
            "datatype": "wikibase-item",
        },
        "type": "statement",
        "rank": rank,
    }


def _entity(qid: str, name: str, classes: list[str], aliases: list[str] = (), country: str | None = None,
            extra_labels: dict[str, str] | None = None) -> dict:
    labels = {"en": {"language": "en", "value": name}}
    for lang, value in (extra_labels or {}).items():
        labels[lang] = {"language": lang, "value": value}
    claims = {"P31": [_claim("P31", c) for c in classes]}
    if country:
        claims["P17"] = [_claim("P17", country)]
    return {
        "type": "item",
        "id": qid,
        "labels": labels,
        "descriptions": {"en": {"language": "en", "value": f"description of {name}"}},
        "aliases": {"en": [{"language": "en", "value": a} for a in aliases]},
        "claims": claims,
        "sitelinks": {},
    }


ENTITIES = [
    _entity("Q1899", "Kyiv", ["Q515"], ["Kiev", "Kyiv City"], country="Q212", extra_labels={"uk": "Київ"}),
    _entity("Q7747", "Vladimir Putin", ["Q5"], ["Putin"], country="Q159"),
    _entity("Q212", "Ukraine", ["Q3624078", "Q6256"]),
    {"type": "property", "id": "P31", "labels": {"en": {"language": "en", "value": "instance of"}}},
]


def _dump_text(entities: list[dict]) -> str:
    """The real dump layout: '[', one entity per line with a trailing comma except the last, ']'."""
    lines = [json.dumps(e, ensure_ascii=False) for e in entities]
    return "[\n" + ",\n".join(lines) + "\n]\n"


@pytest.fixture(params=["json", "json.gz", "json.bz2"])
def dump(tmp_path: Path, request) -> Path:
    data = _dump_text(ENTITIES).encode("utf-8")
    path = tmp_path / f"latest-all.{request.param}"
    if request.param.endswith("gz"):
        data = gzip.compress(data)
    elif request.param.endswith("bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def test_reads_every_entity_of_a_dump_plain_or_compressed(dump: Path) -> None:
    ids = [entity["id"] for entity in iter_wikidata_entities(dump)]
    assert ids == ["Q1899", "Q7747", "Q212", "P31"]


def test_a_broken_line_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    text = _dump_text(ENTITIES[:2]).replace('"Q7747"', '"Q7747', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_wikidata_entities(path))
    assert caught.value.line == 3 and "broken.json:3" in str(caught.value)


def test_entry_keeps_name_aliases_type_and_country() -> None:
    entry = gazetteer_entry(ENTITIES[0], parse_types("Q515,Q5"), ("en", "uk"))
    assert entry["id"] == "Q1899" and entry["name"] == "Kyiv" and entry["type"] == "place"
    assert entry["aliases"] == ["Kiev", "Kyiv City", "Київ"]
    assert entry["profile"]["country"] == "Q212"
    assert gazetteer_entry(ENTITIES[2], parse_types("Q515,Q5")) is None  # a country, not asked for


def test_min_sitelinks_keeps_notable_entities() -> None:
    notable = dict(ENTITIES[1], sitelinks={f"{lang}wiki": {"site": f"{lang}wiki", "title": "Vladimir Putin"}
                                          for lang in ("en", "de", "fr")})
    assert gazetteer_entry(notable, parse_types("Q5"), min_sitelinks=3)["name"] == "Vladimir Putin"
    assert gazetteer_entry(ENTITIES[1], parse_types("Q5"), min_sitelinks=3) is None  # no sitelinks


def test_parse_types_names_and_rejects() -> None:
    assert parse_types("Q515=city, q5") == {"Q515": "city", "Q5": "person"}
    with pytest.raises(InputError):
        parse_types("city")


def test_import_writes_a_gazetteer_the_linker_loads(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    assert import_wikidata(dump, out, parse_types("Q515,Q5")) == 2
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))["entries"]
    assert [(e["id"], e["name"], e["type"]) for e in entries] == [
        ("Q1899", "Kyiv", "place"), ("Q7747", "Vladimir Putin", "person")]


def test_cli_import_wikidata(dump: Path, tmp_path: Path) -> None:
    from sourcetrace.cli import app

    out = tmp_path / "people.yaml"
    result = CliRunner().invoke(app, ["gazetteer", "import-wikidata", str(dump), "--types", "Q5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))["entries"]
    assert [e["name"] for e in entries] == ["Vladimir Putin"]
    bad = CliRunner().invoke(app, ["gazetteer", "import-wikidata", str(tmp_path / "none.json"), "--types", "Q5",
                                   "--out", str(out)])
    assert bad.exit_code == 1 and "no such file" in bad.output
