"""Stage `knowledge_base`: adds the `findings` layer. (Placeholder until its issue lands: adds nothing yet.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sourcetrace.pipeline import Document, register_stage


class ContradictionChecker:
    name = "knowledge_base"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        return None


@register_stage("knowledge_base")
def make_knowledge_base(config: dict[str, Any]) -> ContradictionChecker:
    return ContradictionChecker(config)
