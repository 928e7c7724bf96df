"""What the web pages show of an analysis, built from the standalone report's helpers.

Article text is untrusted. Templates autoescape it; `inert` additionally makes the invisible bidi
controls (the "Trojan Source" right-to-left override and friends) visible as labelled markers so that
they cannot reorder what a reader sees, and the layer details travel as JSON that the page's script
only ever writes with textContent.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from markupsafe import Markup, escape

from sourcetrace.analysis import Analysis
from sourcetrace.report.claims import SPEAKER_KINDS, claim_queue
from sourcetrace.report.coverage import coverage_notes
from sourcetrace.report.html import (
    DEFAULT_LAYERS,
    LAYERS,
    layer_counts,
    marks_and_items,
    script_json,
    segments,
    technique_legend,
)

# Embedding, override and isolate controls: they change the display order of the text around them.
BIDI_CONTROLS = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
}
_BIDI_RE = re.compile("[" + "".join(BIDI_CONTROLS) + "]")


def _control_marker(match: re.Match[str]) -> str:
    char = match.group(0)
    name = unicodedata.name(char, "bidi control").lower()
    return (f'<abbr class="ctl" title="hidden control character U+{ord(char):04X} ({name})">'
            f"{BIDI_CONTROLS[char]}</abbr>")


# A run this long without a space gets a line-break opportunity (<wbr>) every WRAP_EVERY characters, so that
# the browser's line breaker finds one quickly in a 1 MB single-line text (it takes seconds, not a minute).
WRAP_EVERY = 60
_LONG_RUN = re.compile(r"\S{" + str(WRAP_EVERY + 1) + ",}")


def _escape_piece(text: str) -> str:
    return _BIDI_RE.sub(_control_marker, str(escape(text)))


def inert(value: Any) -> Markup:
    """Escaped text with bidi controls replaced by visible, labelled markers and long unbroken runs made
    wrappable. The text content is unchanged: <wbr> adds no characters."""
    if value is None:
        return Markup("")
    text = str(value)
    out: list[str] = []
    position = 0
    for run in _LONG_RUN.finditer(text):
        out.append(_escape_piece(text[position:run.start()]))
        word = run.group(0)
        out.append("<wbr>".join(_escape_piece(word[i:i + WRAP_EVERY]) for i in range(0, len(word), WRAP_EVERY)))
        position = run.end()
    out.append(_escape_piece(text[position:]))
    return Markup("".join(out))


_CODE = re.compile(r"`([^`\n]+)`")


def inline_code(value: Any) -> Markup:
    """Escaped text with `backticked` words set as <code> (OpenAPI descriptions come from docstrings)."""
    if value is None:
        return Markup("")
    escaped = str(escape(str(value)))
    return Markup(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


def has_bidi_controls(text: str) -> bool:
    return _BIDI_RE.search(text) is not None


def analysis_view(analysis: Analysis) -> dict[str, Any]:
    """The template context of an analysed article: highlighted segments, layer toggles, panels, JSON."""
    marks, items = marks_and_items(analysis)
    counts = layer_counts(items)
    text = analysis.article.text
    queue = claim_queue(analysis)
    return {
        "analysis": analysis,
        "article": analysis.article,
        "segments": segments(text, marks, items),
        "layers": [(key, label, counts.get(key, 0), key in DEFAULT_LAYERS) for key, label in LAYERS],
        "counts": counts,
        "legend": technique_legend(analysis),
        "queue": queue,
        "speaker_kinds": [(k, v) for k, v in SPEAKER_KINDS.items() if any(r["speaker_kind"] == k for r in queue)],
        "claim_kinds": sorted({r["kind"] for r in queue}),
        "items_json": Markup(script_json(items)),
        "analysis_json": Markup(script_json(analysis.to_dict())),
        "bidi_warning": has_bidi_controls(text),
        "coverage": coverage_notes(analysis),  # e.g. fact-check matching is off, and how to turn it on
        "anonymous": sum(1 for a in analysis.attributions if a.source_kind == "anonymous"),
    }
