"""Stage `claims`: adds the `claims` layer. (Placeholder until its issue lands: adds nothing yet.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sourcetrace.pipeline import Document, register_stage


class ClaimExtractor:
    name = "claims"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        return None


@register_stage("claims")
def make_claims(config: dict[str, Any]) -> ClaimExtractor:
    return ClaimExtractor(config)
