"""Errors users can catch. Every input problem names the file and, where it has one, the line or record."""

from __future__ import annotations


class SourcetraceError(Exception):
    """Base class of every error sourcetrace raises on purpose."""


class InputError(SourcetraceError):
    """An input that cannot be read as an article: empty, binary, undecodable, malformed."""

    def __init__(self, source: str, message: str, line: int | None = None, record: str | None = None) -> None:
        self.source = source
        self.line = line
        self.record = record
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" (record {self.record})"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "line": self.line, "record": self.record, "error": self.message}


class ConfigurationError(SourcetraceError):
    """A pipeline, stage or resource that is misconfigured or missing."""
