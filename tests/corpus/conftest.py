"""Small corpora built with the real pipeline and the real embedder, shared by the corpus tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sourcetrace.analysis import Analysis, ArticleInfo, Attribution, Claim, Evidence, Finding, Meta, Speaker, Technique

BRIDGE = (
    "Kyiv, 12 September. Ukrainian officials said on Monday that the Antonivskyi bridge over the Dnipro had been "
    "struck again overnight, leaving it impassable for heavy vehicles. The regional administration said repairs "
    "would take weeks. Residents of Kherson reported long queues at the remaining ferry crossing, where boats "
    "carried food and medicine across the river. A military spokesman declined to say which units had carried "
    "out the strike, citing operational security."
)
# The same wire story as a partner outlet ran it: a new last sentence, otherwise unchanged.
BRIDGE_COPY = BRIDGE + " The outlet could not independently verify the reports."
GRAIN = (
    "Istanbul, 13 September. A convoy of four ships carrying Ukrainian grain left the port of Odesa on Tuesday "
    "under the export agreement brokered by Turkey and the United Nations. The joint coordination centre said "
    "the ships were bound for Spain, Egypt and Italy. Traders said wheat prices fell slightly after the news."
)
BUDGET = (
    "The city council approved a new budget for public libraries on Wednesday. The mayor said opening hours "
    "would be extended in three districts, and that the library on Main Street would reopen after renovation."
)

ARTICLES = [
    {"id": "bridge", "text": BRIDGE, "outlet": "Wire Agency", "published": "2022-09-12", "title": "Bridge struck"},
    {"id": "bridge-copy", "text": BRIDGE_COPY, "outlet": "Partner Daily", "published": "2022-09-13"},
    {"id": "grain", "text": GRAIN, "outlet": "Wire Agency", "published": "2022-09-13"},
    {"id": "budget", "text": BUDGET, "outlet": "City News", "published": "2022-09-14"},
]


def write_jsonl(path: Path, records: list[dict], broken_line: bool = True) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record) + "\n")
        if broken_line:
            stream.write('{"id": "broken", "text": \n')
            stream.write(json.dumps({"id": "empty", "text": "   "}) + "\n")
    return path


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    """Four articles (one a syndicated copy) and two broken records, analysed in this process."""
    from sourcetrace.corpus.runner import RunOptions, run_corpus

    folder = tmp_path_factory.mktemp("corpus")
    source = write_jsonl(folder / "articles.jsonl", ARTICLES)
    out = folder / "out"
    summary = run_corpus(
        [source], out, RunOptions(store=str(out), stages=("backbone",), task_size=2, workers=0), progress=False
    )
    return {"out": out, "source": source, "summary": summary}


def _span_of(text: str, piece: str):
    from sourcetrace.analysis import Span

    start = text.index(piece)
    return Span.of(text, start, start + len(piece))


def relayed_claim_analyses() -> list[Analysis]:
    """Three articles whose attribution and claim layers are set by hand (the stages that fill them land
    separately): two outlets carry the same claim from the same speaker with different numbers."""
    meta = Meta(sourcetrace_version="test")
    first_text = (
        "Kremlin spokesman Dmitry Peskov told RIA Novosti that 300 soldiers had crossed the border near Kupiansk "
        "on Sunday."
    )
    second_text = (
        "According to Dmitry Peskov, as many as 500 soldiers crossed the border near Kupiansk on Sunday, a "
        "claim RIA Novosti repeated."
    )
    third_text = "The city council approved a new budget for the public libraries of the northern districts."
    analyses = []
    first = Analysis(
        article=ArticleInfo(id="relay-1", text=first_text, outlet="RIA Novosti", published="2022-09-12"), meta=meta
    )
    content = _span_of(first_text, "300 soldiers had crossed the border near Kupiansk on Sunday")
    first.attributions.append(
        Attribution(
            id="att-1", source=_span_of(first_text, "Dmitry Peskov"), cue=_span_of(first_text, "told"),
            content=content, channel=_span_of(first_text, "RIA Novosti"), source_kind="named_person",
            quote_kind="indirect", speaker=Speaker(name="Dmitry Peskov", role="Kremlin spokesman"),
        )
    )
    first.claims.append(Claim(id="claim-1", span=content, attribution="att-1", kind="event"))
    first.findings.append(
        Finding(
            id="find-1", kind="narrative", claim="claim-1", span=content,
            message="Matches the known narrative 'Ukraine is losing the war'",
            evidence=[Evidence(description="narratives data", data={"narrative": "Ukraine is losing the war"})],
        )
    )
    analyses.append(first)
    second = Analysis(
        article=ArticleInfo(id="relay-2", text=second_text, outlet="Echo Daily", published="2022-09-13"), meta=meta
    )
    content = _span_of(second_text, "as many as 500 soldiers crossed the border near Kupiansk on Sunday")
    second.attributions.append(
        Attribution(
            id="att-2", source=_span_of(second_text, "Dmitry Peskov"), cue=_span_of(second_text, "According to"),
            content=content, source_kind="named_person", quote_kind="indirect",
            speaker=Speaker(name="Dmitry Peskov"),
        )
    )
    second.claims.append(Claim(id="claim-2", span=content, attribution="att-2", kind="event"))
    second.techniques.append(
        Technique(id="tech-1", technique="Exaggeration-Minimisation", span=_span_of(second_text, "as many as 500"),
                  score=0.9)
    )
    analyses.append(second)
    third = Analysis(
        article=ArticleInfo(id="relay-3", text=third_text, outlet="City News", published="2022-09-14"), meta=meta
    )
    third.claims.append(
        Claim(id="claim-3", span=_span_of(third_text, third_text.rstrip(".")), author_voice=True, kind="event")
    )
    analyses.append(third)
    return analyses


@pytest.fixture(scope="session")
def relay_corpus(tmp_path_factory):
    """A corpus folder holding `relayed_claim_analyses`, with duplicates and clusters computed."""
    from sourcetrace.corpus.backends.directory import DirectoryBackend
    from sourcetrace.corpus.backends.tables import analyses_to_tables
    from sourcetrace.corpus.clusters import update_clusters
    from sourcetrace.corpus.dedupe import update_duplicates

    out = tmp_path_factory.mktemp("relay") / "out"
    backend = DirectoryBackend(out)
    backend.prepare()
    for analysis in relayed_claim_analyses():
        backend.write_task(f"task-{analysis.article.id}", analyses_to_tables([analysis], "t"))
    backend.refresh()
    update_duplicates(backend)
    update_clusters(backend)
    backend.finish()
    backend.close()
    return out


def speaker_analyses() -> list[Analysis]:
    """Articles naming one person several ways: full name, surname alone, and a pronoun resolved to them; and
    claims with check-worthiness scores and a fact-check finding."""
    meta = Meta(sourcetrace_version="test")
    texts = {
        "sp-1": "Maria Petrenko said the dam had been shelled on Monday. She said 40 families were evacuated.",
        "sp-2": "Petrenko said the water level rose by two metres overnight.",
        "sp-3": "Peskov told reporters the talks would resume in March.",
    }
    analyses = []
    for article_id, text in texts.items():
        analysis = Analysis(article=ArticleInfo(id=article_id, text=text, outlet="Kyiv Post" if article_id != "sp-3"
                                                else "TASS", published="2022-09-20"), meta=meta)
        analyses.append(analysis)
    first, second, third = analyses
    t = first.article.text
    first.attributions += [
        Attribution(id="sp-a1", source=_span_of(t, "Maria Petrenko"), cue=_span_of(t, "said"),
                    content=_span_of(t, "the dam had been shelled on Monday"), source_kind="named_person",
                    quote_kind="indirect", speaker=Speaker(name="Maria Petrenko")),
        Attribution(id="sp-a2", source=_span_of(t, "She"), cue=None,
                    content=_span_of(t, "40 families were evacuated"), source_kind="pronoun",
                    quote_kind="indirect", speaker=Speaker(name="Maria Petrenko")),
    ]
    first.claims += [
        Claim(id="sp-c1", span=_span_of(t, "the dam had been shelled on Monday"), attribution="sp-a1", kind="event",
              checkworthiness=0.61),
        Claim(id="sp-c2", span=_span_of(t, "40 families were evacuated"), attribution="sp-a2", kind="statistic",
              checkworthiness=0.93),
    ]
    first.findings.append(Finding(id="sp-f1", kind="factcheck_match", claim="sp-c2",
                                  span=_span_of(t, "40 families were evacuated"), message="Matches a checked claim"))
    t = second.article.text
    second.attributions.append(
        Attribution(id="sp-a3", source=_span_of(t, "Petrenko"), cue=_span_of(t, "said"),
                    content=_span_of(t, "the water level rose by two metres overnight"), source_kind="named_person",
                    quote_kind="indirect", speaker=Speaker(name="Petrenko")))
    second.claims.append(Claim(id="sp-c3", span=_span_of(t, "the water level rose by two metres overnight"),
                               attribution="sp-a3", kind="statistic", checkworthiness=0.2))
    t = third.article.text
    third.attributions.append(
        Attribution(id="sp-a4", source=_span_of(t, "Peskov"), cue=_span_of(t, "told"),
                    content=_span_of(t, "the talks would resume in March"), source_kind="named_person",
                    quote_kind="indirect", speaker=Speaker(name="Peskov")))
    third.claims.append(Claim(id="sp-c4", span=_span_of(t, "the talks would resume in March"), attribution="sp-a4",
                              kind="prediction", checkworthiness=0.45))
    return analyses


@pytest.fixture(scope="session")
def speaker_corpus(tmp_path_factory):
    """The relay corpus and `speaker_analyses` together: Dmitry Peskov also appears as "Peskov", Maria
    Petrenko as "Petrenko" and as "She"."""
    from sourcetrace.corpus.backends.directory import DirectoryBackend
    from sourcetrace.corpus.backends.tables import analyses_to_tables
    from sourcetrace.corpus.clusters import update_clusters
    from sourcetrace.corpus.dedupe import update_duplicates

    out = tmp_path_factory.mktemp("speakers") / "out"
    backend = DirectoryBackend(out)
    backend.prepare()
    for analysis in relayed_claim_analyses() + speaker_analyses():
        backend.write_task(f"task-{analysis.article.id}", analyses_to_tables([analysis], "t"))
    backend.refresh()
    update_duplicates(backend)
    update_clusters(backend)
    backend.finish()
    backend.close()
    return out
