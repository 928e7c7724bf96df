"""brat standoff (https://brat.nlplab.org/standoff.html): `NAME.txt` and `NAME.ann` per article, and the
`annotation.conf` that declares the labels. Attributions follow the PolNeAR scheme (Source, Cue, Content,
Channel spans joined by an Attribution event), so a corrected `.ann` is PolNeAR gold as it stands."""

from __future__ import annotations

import re
from pathlib import Path

from sourcetrace.analysis import Analysis
from sourcetrace.errors import InputError
from sourcetrace.exchange.gold import Document, ExchangeAttribution, ExchangeSpan, ann_lines, document_of

ATTRIBUTION_LABELS = ("Source", "Cue", "Content", "Channel", "Attribution")
_T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t?")


def annotation_conf(techniques: list[str]) -> str:
    """brat's annotation.conf for the exported labels."""
    entities = ["Source", "Cue", "Content", "Channel", "Claim", *sorted(set(techniques))]
    return "\n".join([
        "[entities]", *entities, "",
        "[relations]", "",
        "[events]", "Attribution\tSource?:Source, Cue?:Cue, Content*:Content, Channel?:Channel", "",
        "[attributes]", "",
    ]) + "\n"


def write_brat(analyses: list[Analysis], out: Path) -> list[Path]:
    """One NAME.txt and NAME.ann per analysis in `out`, and annotation.conf. Returns the .ann paths."""
    out.mkdir(parents=True, exist_ok=True)
    written, techniques = [], []
    for analysis in analyses:
        document = document_of(analysis)
        with open(out / f"{document.name}.txt", "w", encoding="utf-8", newline="") as stream:
            stream.write(document.text)
        ann = out / f"{document.name}.ann"
        ann.write_text("\n".join(ann_lines(document)) + "\n", encoding="utf-8")
        written.append(ann)
        techniques += [t.label for t in document.techniques]
    (out / "annotation.conf").write_text(annotation_conf(techniques), encoding="utf-8")
    return written


def _ranges(value: str, path: Path, line: int, text: str) -> list[tuple[int, int]]:
    pieces = []
    for chunk in value.split(";"):
        bounds = chunk.split()
        if len(bounds) != 2:
            raise InputError(str(path), f"bad brat offsets {value!r}", line=line)
        start, end = int(bounds[0]), int(bounds[1])
        if not 0 <= start <= end <= len(text):
            raise InputError(str(path), f"offsets {start} {end} lie outside the text ({len(text)} chars)", line=line)
        pieces.append((start, end))
    return pieces


def read_brat(folder: Path) -> list[Document]:
    """Corrected brat annotations: every NAME.ann with its NAME.txt in `folder`."""
    documents = []
    anns = sorted(folder.glob("*.ann"))
    if not anns:
        raise InputError(str(folder), "no .ann files here (brat standoff: NAME.txt and NAME.ann)")
    for ann in anns:
        text_path = ann.with_suffix(".txt")
        if not text_path.exists():
            raise InputError(str(ann), f"no text file {text_path.name} beside it", line=1)
        with open(text_path, encoding="utf-8", newline="") as stream:
            text = stream.read()
        spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
        events: list[tuple[int, list[tuple[str, str]]]] = []
        kinds: dict[str, str] = {}
        for number, line in enumerate(ann.read_text(encoding="utf-8").split("\n"), start=1):
            match = _T_LINE.match(line)
            note = re.match(r"^#\d+\tAnnotatorNotes (T\d+)\tkind (\w+)", line)
            if note:
                kinds[note.group(1)] = note.group(2)
            elif match:
                spans[match.group(1)] = (match.group(2), _ranges(match.group(3).strip(), ann, number, text))
            elif re.match(r"^E\d+\t", line):
                arguments = [tuple(a.partition(":")[::2]) for a in line.split("\t")[1].split()]
                events.append((number, arguments))
        document = Document(ann.stem, text)
        used: set[str] = set()
        for number, arguments in events:
            if not arguments or not arguments[0][0].startswith("Attribution"):
                continue
            used.add(arguments[0][1])
            attribution = ExchangeAttribution()
            for role, target in arguments[1:]:
                if target not in spans:
                    raise InputError(str(ann), f"event refers to {target}, which is not defined", line=number)
                name = re.sub(r"\d+$", "", role).lower()
                if name in ("source", "cue", "content", "channel"):
                    attribution.role(name).extend(spans[target][1])
                    used.add(target)
            document.attributions.append(attribution)
        for span_id, (label, pieces) in spans.items():
            if span_id in used or label in ATTRIBUTION_LABELS:
                continue
            if label == "Claim":
                document.claims.append(ExchangeSpan(kinds.get(span_id, "other"), pieces))
            else:
                document.techniques.append(ExchangeSpan(label, pieces))
        documents.append(document)
    return documents
