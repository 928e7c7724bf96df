"""The corpus pages a desk explores: the claim queue, sorting, facets, speakers, links, counts that agree; the
guide and the API docs page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sourcetrace.web.app import WebSettings, create_app
from tests.corpus.conftest import speaker_corpus  # noqa: F401 - the fixture


@pytest.fixture(scope="module")
def client(speaker_corpus):  # noqa: F811
    from sourcetrace.pipeline.run import Pipeline

    with TestClient(create_app(WebSettings(db=speaker_corpus), pipeline=Pipeline(()))) as test_client:
        yield test_client


def cells(html: str, table: str, column: int) -> list[str]:
    body = html[html.index(f'id="{table}"'):].split("</tbody>")[0].split("<tbody>")[1]
    rows = body.split("<tr")[1:]
    return [re.sub(r"<[^>]+>", "", row.split("<td")[column + 1].split(">", 1)[1]).strip() for row in rows]


def test_claims_page_is_the_queue(client):
    page = client.get("/corpus/claims").text
    assert "the queue, most check-worthy first" in page
    assert cells(page, "claims-table", 0)[:4] == ["0.93", "0.61", "0.45", "0.20"]
    assert "factcheck match" in page
    assert re.search(r'<span id="claims-total">7</span>', page)
    # a second click on the sorted column reverses it
    assert 'href="/corpus/claims?sort=-checkworthiness"' in page
    reversed_page = client.get("/corpus/claims?sort=-checkworthiness").text
    assert cells(reversed_page, "claims-table", 0)[0] == "0.20"
    assert 'aria-sort="ascending"' in reversed_page


def test_claim_filters_and_facets(client):
    page = client.get("/corpus/claims?kind=statistic&min_score=0.5").text
    assert cells(page, "claims-table", 0) == ["0.93"]
    facets = page[page.index('id="claim-facets"'):page.index('id="claims-table"')]
    assert "Maria Petrenko" in facets and "Kyiv Post" in facets
    full = client.get("/corpus/claims").text
    facet_html = full[full.index('id="claim-facets"'):full.index('id="claims-table"')]
    # a facet link filters the listing, and its count is what the filtered listing then holds
    link = re.search(r'href="([^"]*speaker=Dmitry\+Peskov[^"]*)">Dmitry Peskov</a> <span class="count">(\d+)',
                     facet_html)
    filtered = client.get(link.group(1).replace("&amp;", "&")).text
    assert re.search(rf'<span id="claims-total">{link.group(2)}</span>', filtered)
    assert "2022-09-12 to 2022-09-20" in facet_html


def test_speaker_links_lead_to_claims_and_clusters_with_the_same_counts(client):
    page = client.get("/corpus/speakers").text
    assert cells(page, "speakers-table", 0) == ["Dmitry Peskov", "Maria Petrenko"]
    claims_count = int(cells(page, "speakers-table", 3)[0])
    link = re.search(r'href="(/corpus/claims\?speaker=Dmitry%20Peskov[^"]*)"', page).group(1).replace("&amp;", "&")
    claims = client.get(link).text
    assert re.search(rf'<span id="claims-total">{claims_count}</span>', claims)
    assert 'href="/corpus/clusters/' in claims  # the claim two outlets carried leads to its cluster
    home = client.get("/corpus").text
    assert "2 speakers, 1 claim clusters" in home


def test_sources_and_articles_pages_sort_and_facet(client):
    sources = client.get("/corpus/sources?sort=target").text
    targets = [t.rsplit(" (", 1)[0] for t in cells(sources, "sources-table", 1)]
    assert targets == sorted(targets)
    assert not re.search(r">Peskov</a>", sources)  # merged into Dmitry Peskov
    assert 'id="source-facets"' in sources and "TASS" in sources
    articles = client.get("/corpus/articles?sort=-n_claims").text
    assert cells(articles, "articles-table", 3)[0] == "1"
    assert re.search(r'<span id="articles-total">6</span>', articles)
    assert cells(client.get("/corpus/articles?sort=n_claims").text, "articles-table", 3)[0] == "2"
    assert 'id="article-facets"' in articles
    assert client.get("/corpus/articles?sort=nonsense").status_code == 422


def test_tables_never_break_words(client):
    css = client.get("/static/app.css").text
    assert re.search(r"th, td \{[^}]*overflow-wrap: normal", css) and "word-break: normal" in css


def test_article_page_links_its_claims_to_the_text(client):
    page = client.get("/corpus/articles/sp-1").text
    assert 'id="claim-queue"' in page and 'class="goto" href="#article" data-item="sp-c2"' in page
    assert "Who says what: 2 attributions" in page


def test_guide_and_docs_pages(client):
    guide = client.get("/guide").text
    assert "How to read a sourcetrace report" in guide and "<table>" in guide and "mixed" in guide
    docs = client.get("/docs").text
    main = docs.split("<main", 1)[1]
    assert "`" not in main and "<code>" in main
    assert 'href="/guide"' in client.get("/").text
