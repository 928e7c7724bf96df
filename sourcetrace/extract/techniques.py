"""Stage `techniques`: adds the `techniques` layer. (Placeholder until its issue lands: adds nothing yet.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sourcetrace.pipeline import Document, register_stage


class TechniqueTagger:
    name = "techniques"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        return None


@register_stage("techniques")
def make_techniques(config: dict[str, Any]) -> TechniqueTagger:
    return TechniqueTagger(config)
