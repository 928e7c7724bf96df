"""`sourcetrace kb import-wikidata`: a KB file from a dump in Wikidata's real JSON format."""

from __future__ import annotations

import gzip
import json

from typer.testing import CliRunner

from sourcetrace.cli import app
from sourcetrace.stages.knowledge_base.facts import KnowledgeBase


def item_claim(prop: str, qid: str, start: str | None = None) -> dict:
    statement = {"mainsnak": {"snaktype": "value", "property": prop, "datatype": "wikibase-item",
                              "datavalue": {"value": {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
                                            "type": "wikibase-entityid"}},
                 "type": "statement", "rank": "normal"}
    if start:
        statement["qualifiers"] = {"P580": [{"snaktype": "value", "property": "P580", "datavalue": {
            "value": {"time": f"+{start}T00:00:00Z", "precision": 11}, "type": "time"}}]}
    return statement


ENTITIES = [
    {"type": "item", "id": "Q1000001", "labels": {"en": {"language": "en", "value": "Krab howitzer"}},
     "aliases": {"en": [{"language": "en", "value": "AHS Krab"}]},
     "descriptions": {"en": {"language": "en", "value": "Polish self-propelled howitzer"}},
     "claims": {"P31": [item_claim("P31", "Q728")], "P495": [item_claim("P495", "Q36")],
                "P137": [item_claim("P137", "Q36"), item_claim("P137", "Q212", start="2022-05-26")]}},
    {"type": "item", "id": "Q1000002", "labels": {"en": {"language": "en", "value": "Somewhere"}},
     "claims": {"P31": [item_claim("P31", "Q515")]}},
]


def test_import_wikidata_writes_a_loadable_kb(tmp_path) -> None:
    dump = tmp_path / "latest-all.json.gz"
    body = "[\n" + ",\n".join(json.dumps(e) for e in ENTITIES) + "\n]\n"
    dump.write_bytes(gzip.compress(body.encode("utf-8")))
    out = tmp_path / "kb.yaml"
    result = CliRunner().invoke(app, ["kb", "import-wikidata", str(dump), "--properties", "P495,P137",
                                      "--instance-of", "Q728", "--out", str(out)])
    assert result.exit_code == 0, result.output
    kb = KnowledgeBase.load([out])
    krab = kb.find("AHS Krab")
    assert krab.id == "Q1000001" and kb.values(krab.id, "country_of_origin") == ["Q36"]
    (ukraine,) = [f for f in kb.facts(krab.id, "operator") if f.value == "Q212"]
    assert ukraine.start == "2022-05-26" and ukraine.source == "https://www.wikidata.org/wiki/Q1000001"
    assert kb.find("Somewhere") is None


def test_bad_property_list_is_a_one_line_error(tmp_path) -> None:
    result = CliRunner().invoke(app, ["kb", "import-wikidata", str(tmp_path / "x.json"), "--properties", "495",
                                      "--out", str(tmp_path / "o.yaml")])
    assert result.exit_code == 1 and "--properties" in result.output
