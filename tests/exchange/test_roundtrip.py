"""Corrections flow back: an analysis out to Label Studio and brat, corrected there, and back as the gold files
`sourcetrace evaluate` reads (PolNeAR layout for attributions, PTC labels for techniques)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sourcetrace.analysis import Analysis, ArticleInfo, Attribution, Claim, Meta, Span, Speaker, Technique
from sourcetrace.cli import app
from sourcetrace.datasets.polnear import GoldAttribution, read_gold_dir
from sourcetrace.datasets.ptc import read_articles, read_labels
from sourcetrace.evaluate.attribution import Scores, predicted_roles, score_file
from sourcetrace.exchange import read_brat, read_label_studio, to_label_studio, write_brat, write_gold
from sourcetrace.exchange.brat import annotation_conf
from sourcetrace.exchange.labelstudio import label_config

TEXT = ("Kremlin spokesman Dmitry Peskov told RIA Novosti that 300 soldiers had crossed the border. "
        "\"The talks,\" he said, \"are over.\" Officials warned of a catastrophe.")


def span(piece: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(piece, start + 1)
    return Span.of(TEXT, start, start + len(piece))


@pytest.fixture
def analysis() -> Analysis:
    content = span("300 soldiers had crossed the border")
    first_quote, second_quote = span("The talks,"), span("are over.")
    quoted = Span.of_fragments(TEXT, [(first_quote.start, first_quote.end), (second_quote.start, second_quote.end)])
    return Analysis(
        article=ArticleInfo(id="desk/article 1", text=TEXT, outlet="Wire", published="2022-09-12"),
        meta=Meta(sourcetrace_version="test"),
        attributions=[
            Attribution(id="a1", source=span("Dmitry Peskov"), cue=span("told"), content=content,
                        channel=span("RIA Novosti"), source_kind="named_person", quote_kind="indirect",
                        speaker=Speaker(name="Dmitry Peskov"), score=0.91),
            # the model took "he" for the speaker; the desk corrects it to "Kremlin spokesman"
            Attribution(id="a2", source=span("he"), cue=span("said"), content=quoted, source_kind="pronoun",
                        quote_kind="direct", parent=None),
            Attribution(id="a3", content=span("Officials warned of a catastrophe."), source_kind="author",
                        quote_kind="indirect"),
        ],
        claims=[Claim(id="c1", span=content, attribution="a1", kind="event", checkworthiness=0.88),
                Claim(id="c2", span=quoted, attribution="a2", kind="opinion", checkworthiness=0.3)],
        techniques=[Technique(id="t1", technique="Appeal_to_Fear-Prejudice", family="justification",
                              span=span("catastrophe"), score=0.7)],
    )


def expected_gold(analysis: Analysis, corrected_source: tuple[int, int]) -> list[GoldAttribution]:
    gold = predicted_roles(analysis)
    gold[1].source = [corrected_source]
    return gold


def assert_gold(out, analysis: Analysis, corrected_source: tuple[int, int]) -> None:
    [article] = read_gold_dir(out)  # what `sourcetrace evaluate attribution --gold out` reads
    assert article.text == TEXT and article.annotator == "desk"
    assert article.attributions == expected_gold(analysis, corrected_source)
    # measured against the corrected gold, the model is right on one of its two attributions
    scores = Scores()
    score_file(scores, TEXT, article.attributions, predicted_roles(analysis))
    assert scores.to_dict()["exact"]["source"]["precision"] == 0.5
    assert scores.to_dict()["relation"]["recall"] == 0.5
    texts, labels = read_articles(out / "articles"), read_labels(out / "techniques.labels")
    name = article.name
    assert texts == {name: TEXT}
    assert labels == {name: [("Appeal_to_Fear-Prejudice", TEXT.index("catastrophe"),
                              TEXT.index("catastrophe") + len("catastrophe"))]}
    claims = [json.loads(line) for line in (out / "claims.jsonl").read_text().splitlines()]
    assert claims[1]["pieces"] == [list(p) for p in analysis.claims[1].span.fragments]  # one claim, two pieces
    assert claims[:1] == [{"article": name, "kind": "event", "pieces": [list(analysis.claims[0].span.fragments or
                       (analysis.claims[0].span.start, analysis.claims[0].span.end))],
                       "text": "300 soldiers had crossed the border"}]


def test_label_studio_round_trip(analysis, tmp_path):
    [task] = to_label_studio([analysis])
    result = task["predictions"][0]["result"]
    assert task["data"]["text"] == TEXT and task["data"]["article_id"] == "desk/article 1"
    labels = [r["value"]["labels"][0] for r in result if r["type"] == "labels"]
    assert labels.count("Content") == 3  # one + a quote in two pieces (the author's own voice is not exported)
    assert {"Source", "Cue", "Channel", "Claim", "Appeal_to_Fear-Prejudice"} <= set(labels)
    for region in (r for r in result if r["type"] == "labels"):
        assert TEXT[region["value"]["start"]:region["value"]["end"]] == region["value"]["text"]
    # the desk corrects the speaker of the second quote in Label Studio and exports
    corrected = json.loads(json.dumps(result))
    he = next(r for r in corrected if r["type"] == "labels" and r["value"]["text"] == "he")
    source = span("Kremlin spokesman")
    he["value"].update(start=source.start, end=source.end, text=source.text)
    exported = [{"id": 7, "data": task["data"], "annotations": [{"result": corrected}], "predictions": []}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    documents = read_label_studio(path)
    write_gold(documents, tmp_path / "gold")
    assert_gold(tmp_path / "gold", analysis, (source.start, source.end))


def test_label_studio_config_names_every_label(analysis):
    config = label_config(["Appeal_to_Fear-Prejudice"])
    for label in ("Source", "Cue", "Content", "Channel", "Claim", "Appeal_to_Fear-Prejudice", "Loaded_Language"):
        assert f'value="{label}"' in config
    assert '<Text name="text" value="$text"' in config


def test_brat_round_trip(analysis, tmp_path):
    [ann] = write_brat([analysis], tmp_path / "brat")
    assert ann.with_suffix(".txt").read_text(encoding="utf-8") == TEXT
    assert "Attribution\tSource?:Source" in (tmp_path / "brat" / "annotation.conf").read_text()
    lines = ann.read_text(encoding="utf-8").splitlines()
    he = span("he")
    [line] = [x for x in lines if x.startswith("T") and f"Source {he.start} {he.end}" in x]
    source = span("Kremlin spokesman")
    # the desk corrects the span in brat
    ann.write_text(ann.read_text(encoding="utf-8").replace(
        line, line.split("\t")[0] + f"\tSource {source.start} {source.end}\t{source.text}"), encoding="utf-8")
    documents = read_brat(tmp_path / "brat")
    assert documents[0].claims[0].label == "event"  # the claim's kind travels in an annotator note
    write_gold(documents, tmp_path / "gold")
    assert_gold(tmp_path / "gold", analysis, (source.start, source.end))


def test_uncorrected_export_is_the_model_itself(analysis, tmp_path):
    """Nothing corrected: the gold equals the predictions, so every score is 1 (the round trip loses nothing)."""
    write_gold(read_brat(write_brat([analysis], tmp_path / "b")[0].parent), tmp_path / "g1")
    [task] = to_label_studio([analysis])
    (tmp_path / "ls.json").write_text(json.dumps([task]), encoding="utf-8")
    write_gold(read_label_studio(tmp_path / "ls.json", use_predictions=True), tmp_path / "g2")
    # both formats give the same gold, file for file
    files = sorted(p.relative_to(tmp_path / "g1") for p in (tmp_path / "g1").rglob("*") if p.is_file())
    assert files and all((tmp_path / "g1" / f).read_bytes() == (tmp_path / "g2" / f).read_bytes() for f in files)
    for folder in ("g1", "g2"):
        [article] = read_gold_dir(tmp_path / folder)
        scores = Scores()
        score_file(scores, TEXT, article.attributions, predicted_roles(analysis))
        numbers = scores.to_dict()
        assert numbers["relation"]["f1"] == 1.0 and numbers["exact"]["cue"]["f1"] == 1.0


def test_export_and_import_commands(analysis, tmp_path):
    runner = CliRunner()
    (tmp_path / "a.json").write_text(analysis.to_json(indent=2), encoding="utf-8")
    exported = runner.invoke(app, ["export", str(tmp_path / "a.json"), "--to", "labelstudio",
                                   "--out", str(tmp_path / "tasks.json")])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "tasks.xml").read_text().startswith("<View>")
    nothing = runner.invoke(app, ["import-gold", str(tmp_path / "tasks.json"), "--out", str(tmp_path / "g")])
    assert nothing.exit_code == 1 and "no annotated task" in nothing.output
    imported = runner.invoke(app, ["import-gold", str(tmp_path / "tasks.json"), "--out", str(tmp_path / "g"),
                                   "--predictions"])
    assert imported.exit_code == 0, imported.output
    assert "2 attributions, 2 claims, 1 techniques" in imported.output
    assert read_gold_dir(tmp_path / "g")[0].attributions == predicted_roles(analysis)
    brat = runner.invoke(app, ["export", str(tmp_path / "a.json"), "--to", "brat", "--out", str(tmp_path / "b")])
    assert brat.exit_code == 0 and (tmp_path / "b" / "desk-article-1.ann").exists()
    bad = runner.invoke(app, ["export", str(tmp_path / "tasks.xml"), "--out", str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "not the JSON of `sourcetrace analyze`" in bad.output
    assert "Traceback" not in bad.output


def test_a_region_outside_the_text_is_a_clear_error(tmp_path):
    from sourcetrace.errors import InputError

    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"data": {"text": "short"}, "annotations": [{"result": [
        {"id": "r1", "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": 0, "end": 50, "labels": ["Content"]}}]}]}]), encoding="utf-8")
    with pytest.raises(InputError, match="lies outside the text"):
        read_label_studio(path)
    assert "Claim" in annotation_conf([])
