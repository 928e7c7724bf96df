"""The stage registry: built-in stages, and stages that other packages register through the `sourcetrace.stages`
entry-point group."""

from __future__ import annotations

import sys
import types

from sourcetrace.pipeline import registry
from sourcetrace.pipeline.registry import ENTRY_POINT_GROUP, registered_stages


def test_the_built_in_stages_are_registered():
    assert {"backbone", "entities", "time", "attribution", "claims", "techniques", "framing", "knowledge_base",
            "factchecks"} <= set(registered_stages())


def test_a_stage_named_by_an_entry_point_is_registered(monkeypatch):
    module = types.ModuleType("plugin_stage_for_test")

    def load() -> types.ModuleType:  # what importing the entry point's module does: it registers its stage
        @registry.register_stage("plugin_stage_for_test", requires=("backbone",))
        def factory(settings):  # noqa: ANN001, ANN202
            return None

        return module

    class EntryPoint:
        name = "plugin_stage_for_test"

        def load(self) -> types.ModuleType:
            return load()

    groups = []
    monkeypatch.setattr(registry, "entry_points", lambda group: groups.append(group) or [EntryPoint()])
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", False)
    monkeypatch.setitem(sys.modules, "plugin_stage_for_test", module)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_CONTRACTS", dict(registry._CONTRACTS))
    stages = registered_stages()
    assert groups == [ENTRY_POINT_GROUP]
    assert "plugin_stage_for_test" in stages
    assert registry.stage_contract("plugin_stage_for_test").requires == ("backbone",)
    registered_stages()
    assert groups == [ENTRY_POINT_GROUP]  # the entry points are loaded once per process
