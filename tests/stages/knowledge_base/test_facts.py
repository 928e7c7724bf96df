"""Loading the knowledge base: the shipped files, user files, and clear errors."""

from __future__ import annotations

import pytest

from sourcetrace.errors import InputError
from sourcetrace.stages.knowledge_base.facts import KnowledgeBase


def test_shipped_kb_has_sourced_facts() -> None:
    kb = KnowledgeBase.load()
    tochka = kb.find("Tochka-U")
    assert tochka is not None and kb.values(tochka.id, "country_of_origin") == ["Q15180"]
    assert {"Q212", "Q159"} <= set(kb.values(tochka.id, "operator"))
    assert kb.find_adjective("Soviet").id == "Q15180"
    members = {fact.value: fact.start for fact in kb.members("Q7184")}
    assert len(members) == 32 and members["Q33"] == "2023-04-04" and "Q212" not in members
    assert all(fact.source for fact in kb.all_facts())


def test_user_file_extends_the_kb(tmp_path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "entities:\n- id: st:krab\n  name: AHS Krab\n  type: weapon_system\n  facts:\n"
        "  - {property: country_of_origin, value: Q36, source: https://en.wikipedia.org/wiki/AHS_Krab}\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.load([extra])
    assert kb.values(kb.find("AHS Krab").id, "country_of_origin") == ["Q36"]


def test_fact_without_source_is_an_input_error(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities:\n- id: st:x\n  name: X\n  facts:\n  - {property: country, value: Q36}\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="bad.yaml.*no source"):
        KnowledgeBase.load([bad])
