"""Label Studio (https://labelstud.io): tasks in its JSON import format, with sourcetrace's layers as
pre-annotations ("predictions") a desk corrects, the labelling configuration that shows them, and the reading of
Label Studio's JSON export of the corrected annotations.

An attribution is a Content region with its Source, Cue and Channel regions joined to it by relations of those
names; a further piece of a discontinuous span is a region of the same label joined by a relation of its role
(for Content, from the piece to the first piece). Claims
are Claim regions (their kind in `meta`), techniques regions labelled with the technique's name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sourcetrace._version import __version__
from sourcetrace.analysis import Analysis
from sourcetrace.errors import InputError
from sourcetrace.exchange.gold import Document, ExchangeAttribution, ExchangeSpan, document_of

FROM_NAME, TO_NAME = "label", "text"
ROLE_LABELS = {"source": "Source", "cue": "Cue", "content": "Content", "channel": "Channel"}
LABEL_ROLES = {label: role for role, label in ROLE_LABELS.items()}
ROLES_IN_ORDER = tuple(ROLE_LABELS)
CLAIM_KINDS = ("event", "statistic", "causal", "prediction", "opinion", "other")
PIECE = "piece"  # the relation from a further piece of a claim or technique to its first piece


def label_config(techniques: list[str] | None = None) -> str:
    """The labelling interface (Label Studio XML) for the exported tasks."""
    from sourcetrace.stages.techniques.stage import TECHNIQUES

    names = sorted(set(TECHNIQUES) | set(techniques or ()))
    labels = "\n".join(
        [f'    <Label value="{v}" background="{c}"/>' for v, c in (
            ("Source", "#1256a8"), ("Cue", "#d9730d"), ("Content", "#d9b400"), ("Channel", "#5b1a86"),
            ("Claim", "#6b6b6b"))]
        + [f'    <Label value="{name}" background="#b3261e"/>' for name in names])
    relations = "\n".join(f'    <Relation value="{name}"/>' for name in (*ROLES_IN_ORDER, PIECE))
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n  </Labels>\n'
        f'  <Relations>\n{relations}\n  </Relations>\n'
        f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>\n'
        "</View>\n"
    )


def _region(region_id: str, text: str, start: int, end: int, label: str, score: float | None = None,
            meta: dict[str, Any] | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {
        "id": region_id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }
    if score is not None:
        region["score"] = round(float(score), 4)
    if meta:
        region["meta"] = meta
    return region


def _relation(from_id: str, to_id: str, label: str) -> dict[str, Any]:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right", "labels": [label]}


def task_of(document: Document, article_id: str) -> dict[str, Any]:
    """One Label Studio task: the text, and the layers as a prediction to correct."""
    result: list[dict[str, Any]] = []
    text = document.text
    number = 0

    def new_id() -> str:
        nonlocal number
        number += 1
        return f"r{number}"

    for attribution in document.attributions:
        if not attribution.content:
            continue
        content_ids = []
        for start, end in attribution.content:
            content_ids.append(new_id())
            result.append(_region(content_ids[-1], text, start, end, "Content", attribution.score))
        for extra in content_ids[1:]:
            result.append(_relation(extra, content_ids[0], "content"))
        for role in ("source", "cue", "channel"):
            for start, end in attribution.role(role):
                region_id = new_id()
                result.append(_region(region_id, text, start, end, ROLE_LABELS[role]))
                result.append(_relation(region_id, content_ids[0], role))
    for label, spans in (("Claim", document.claims), (None, document.techniques)):
        for item in spans:
            ids = []
            for start, end in item.pieces:
                ids.append(new_id())
                meta = {"text": [item.label]} if label == "Claim" else None
                result.append(_region(ids[-1], text, start, end, label or item.label, item.score, meta))
            # the further pieces of a discontinuous claim or technique point to its first piece
            result.extend(_relation(extra, ids[0], PIECE) for extra in ids[1:])
    return {
        "data": {"text": text, "article_id": article_id, "name": document.name},
        "predictions": [{"model_version": f"sourcetrace {__version__}", "result": result}],
    }


def to_label_studio(analyses: list[Analysis]) -> list[dict[str, Any]]:
    """Label Studio import tasks for analyses (write them with json.dump; import in a project labelled with
    `label_config()`)."""
    return [task_of(document_of(analysis), analysis.article.id) for analysis in analyses]


def _document_from_result(name: str, text: str, result: list[dict[str, Any]], where: str) -> Document:
    regions = {r["id"]: r for r in result if r.get("type") == "labels" and "id" in r}
    relations = [r for r in result if r.get("type") == "relation"]
    pieces_of: dict[str, list[str]] = {}  # first piece -> its further pieces (claims and techniques)
    piece_ids: set[str] = set()
    for relation in [r for r in relations if (r.get("labels") or [""])[0].lower() == PIECE]:
        if relation.get("from_id") in regions and relation.get("to_id") in regions:
            pieces_of.setdefault(relation["to_id"], []).append(relation["from_id"])
            piece_ids.add(relation["from_id"])
    relations = [r for r in relations if (r.get("labels") or [""])[0].lower() != PIECE]
    document = Document(name, text)
    for region in regions.values():
        value = region["value"]
        start, end = int(value["start"]), int(value["end"])
        if not 0 <= start <= end <= len(text):
            raise InputError(where, f"region {region['id']} [{start}, {end}) lies outside the text")
    content_of: dict[str, str] = {}  # region id -> the content region it belongs to
    role_of: dict[str, str] = {}
    for relation in relations:
        source, target = relation.get("from_id"), relation.get("to_id")
        if source not in regions or target not in regions:
            raise InputError(where, f"a relation joins {source} and {target}, which are not both regions")
        label = (relation.get("labels") or [""])[0].lower()
        # the relation's direction does not matter: the Content region is the attribution's anchor
        if regions[target]["value"]["labels"][0] != "Content" and regions[source]["value"]["labels"][0] == "Content":
            source, target = target, source
        content_of[source] = target
        role_of[source] = label or LABEL_ROLES.get(regions[source]["value"]["labels"][0], "")
    anchors = [rid for rid, r in regions.items() if r["value"]["labels"][0] == "Content" and rid not in content_of]
    by_anchor = {rid: ExchangeAttribution() for rid in anchors}
    for rid in anchors:
        value = regions[rid]["value"]
        by_anchor[rid].content.append((int(value["start"]), int(value["end"])))
    for rid, anchor in content_of.items():
        while anchor in content_of:  # a piece joined to a piece
            anchor = content_of[anchor]
        if anchor not in by_anchor:
            continue
        role = role_of.get(rid) or LABEL_ROLES.get(regions[rid]["value"]["labels"][0], "")
        if role not in ROLE_LABELS:
            continue
        value = regions[rid]["value"]
        by_anchor[anchor].role(role).append((int(value["start"]), int(value["end"])))
    for attribution in by_anchor.values():
        for role in ROLE_LABELS:
            attribution.role(role).sort()
    document.attributions = sorted(by_anchor.values(), key=lambda a: a.content[0])
    for rid, region in regions.items():
        if rid in piece_ids:
            continue
        label = region["value"]["labels"][0]
        pieces = sorted((int(regions[r]["value"]["start"]), int(regions[r]["value"]["end"]))
                        for r in (rid, *pieces_of.get(rid, [])))
        if label == "Claim":
            kind = ((region.get("meta") or {}).get("text") or ["other"])[0]
            document.claims.append(ExchangeSpan(kind if kind in CLAIM_KINDS else "other", pieces))
        elif label not in LABEL_ROLES:
            document.techniques.append(ExchangeSpan(label, pieces))
    return document


def read_label_studio(path: Path, use_predictions: bool = False) -> list[Document]:
    """Documents from Label Studio's JSON export: each task's latest annotation (tasks nobody annotated are left
    out, unless `use_predictions`, which reads the pre-annotations instead, as an import file holds them)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(str(path), f"not a Label Studio JSON file: {error}") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    documents = []
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") or {}
        text = data.get("text")
        if not isinstance(text, str):
            raise InputError(str(path), f"task {number} has no data.text")
        name = str(data.get("name") or data.get("article_id") or task.get("id") or number)
        annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if annotations:
            result = annotations[-1].get("result") or []
        elif use_predictions and task.get("predictions"):
            result = task["predictions"][-1].get("result") or []
        else:
            continue
        documents.append(_document_from_result(name, text, result, f"{path} task {number}"))
    return documents
