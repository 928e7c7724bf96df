"""Stage `time`: adds the `times` layer. (Placeholder until its issue lands: adds nothing yet.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sourcetrace.pipeline import Document, register_stage


class TimeNormaliser:
    name = "time"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def models(self) -> dict[str, str]:
        return {}

    def process(self, documents: Sequence[Document]) -> None:
        return None


@register_stage("time")
def make_time(config: dict[str, Any]) -> TimeNormaliser:
    return TimeNormaliser(config)
