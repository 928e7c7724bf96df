"""The HTTP API, in-process with the real pipeline: analyse text and HTML, limits, errors, no fetching."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from sourcetrace.web.app import CONTENT_SECURITY_POLICY, WebSettings, create_app
from tests.conftest import EXAMPLE_ARTICLE

SENTENCE = "The Ukrainian General Staff said in a statement on Monday that 40 civilians were evacuated from Izyum."


@pytest.fixture(scope="module")
def client(pipeline):
    with TestClient(create_app(WebSettings(max_request_bytes=300_000), pipeline=pipeline)) as test_client:
        yield test_client


def test_analyze_json_text_returns_the_analysis(client):
    response = client.post("/api/analyze", json={"text": SENTENCE, "published": "2022-09-12", "outlet": "Kyiv Post",
                                                 "id": "a1", "url": "https://example.org/a1"})
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert analysis["schema"] == "sourcetrace/analysis/v1"
    assert analysis["article"] == {"id": "a1", "text": SENTENCE, "title": None, "published": "2022-09-12",
                                   "outlet": "Kyiv Post", "url": "https://example.org/a1", "language": "en"}
    assert analysis["sentences"] and analysis["entities"]
    for entity in analysis["entities"]:
        span = entity["span"]
        assert SENTENCE[span["start"]:span["end"]] == span["text"]


def test_analyze_plain_text_body_with_metadata_in_the_query(client):
    response = client.post("/api/analyze?published=13.09.2022&outlet=Sputnik", content=SENTENCE.encode(),
                           headers={"content-type": "text/plain; charset=utf-8"})
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert (article["published"], article["outlet"], article["text"]) == ("2022-09-13", "Sputnik", SENTENCE)


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", '"windows-1252"', "utf-16"])
def test_a_body_is_decoded_with_the_charset_its_content_type_names(client, charset):
    text = "The French ministère said on Monday that the talks had failed."
    encoding = charset.strip('"')
    as_json = json.dumps({"text": text}, ensure_ascii=False)
    for content_type, content in (("text/plain", text.encode(encoding)),
                                  ("application/json", as_json.encode(encoding))):
        response = client.post("/api/analyze", content=content,
                               headers={"content-type": f"{content_type}; charset={charset}"})
        assert response.status_code == 200, response.text
        analysis = response.json()
        assert analysis["article"]["text"] == text
        assert "ministère" in analysis["sentences"][0]["text"]
    upload = client.post("/api/analyze",
                         files={"file": ("a.txt", text.encode(encoding), f"text/plain; charset={charset}")})
    assert upload.status_code == 200 and upload.json()["article"]["text"] == text


def test_analyze_html_extracts_the_main_text(client):
    html = ("<!DOCTYPE html><html><head><title>Evacuation from Izyum</title><script>var tracker = 1;</script></head>"
            "<body><nav>Home | World</nav><article><h1>Evacuation from Izyum</h1><p>" + SENTENCE + "</p><p>"
            + "Local officials said more buses would leave on Tuesday morning. " * 3 + "</p></article></body></html>")
    response = client.post("/api/analyze", json={"html": html, "outlet": "Example"})
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert SENTENCE in analysis["article"]["text"]
    assert "tracker" not in analysis["article"]["text"]
    assert analysis["article"]["title"] == "Evacuation from Izyum"


def test_analyze_uploaded_file(client):
    text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    response = client.post("/api/analyze", files={"file": ("article.txt", text.encode(), "text/plain")},
                           data={"published": "2022-10-05"})
    assert response.status_code == 200, response.text
    assert response.json()["article"]["text"] == text
    assert response.json()["article"]["published"] == "2022-10-05"


@pytest.mark.parametrize(("request_kwargs", "status", "message"), [
    ({"json": {"text": "   "}}, 422, "empty"),
    ({"json": {"text": "a", "html": "b"}}, 422, 'exactly one of "text" or "html"'),
    ({"json": {}}, 422, 'exactly one of "text" or "html"'),
    ({"json": {"text": SENTENCE, "published": "last Tuesday"}}, 422, "published: cannot read the date"),
    ({"json": {"txt": SENTENCE}}, 422, "txt: Extra inputs are not permitted"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
    ({"content": b"\x00\x01\x02" * 50, "headers": {"content-type": "text/plain"}}, 422, "binary"),
    ({"json": {"html": "<html><body><script>x()</script></body></html>"}}, 422, "no main text"),
    ({"content": b"a=1", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415,
     "unsupported content type"),
    ({"content": b"x" * 300_001, "headers": {"content-type": "text/plain"}}, 413, "larger than the limit of 300,000"),
    ({"content": b"minist\xe8re", "headers": {"content-type": "text/plain; charset=utf-8"}}, 422,
     "not valid utf-8 (byte 6"),
    ({"content": b"text", "headers": {"content-type": "text/plain; charset=klingon"}}, 415, "unsupported charset"),
    ({"content": b"text", "headers": {"content-type": "text/plain; charset=base64"}}, 415, "unsupported charset"),
])
def test_bad_requests_get_a_clear_4xx(client, request_kwargs, status, message):
    response = client.post("/api/analyze", **request_kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert message in detail
    assert "\n" not in detail and "Traceback" not in detail


def test_a_streamed_body_over_the_limit_is_cut_off(client):
    def chunks():
        for _ in range(40):
            yield b"word " * 2_000  # 10 kB each, no Content-Length: the limit counts while receiving

    response = client.post("/api/analyze", content=chunks(), headers={"content-type": "text/plain"})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_analysis_past_the_timeout_gets_504(pipeline):
    with TestClient(create_app(WebSettings(analysis_timeout_s=0.001), pipeline=pipeline)) as slow_client:
        response = slow_client.post("/api/analyze", json={"text": SENTENCE * 20})
    assert response.status_code == 504
    assert "longer than the limit of 0.001 s" in response.json()["detail"]


def test_with_no_workers_the_server_process_analyses(pipeline):
    # workers=0 loads the pipeline here (this process's cached one, the same settings as the fixture's)
    with TestClient(create_app(WebSettings(workers=0, max_queued=0))) as in_process:
        health = in_process.get("/api/health").json()
        assert (health["workers"], health["max_queued"]) == (0, 0)
        assert in_process.post("/api/analyze", json={"text": SENTENCE}).status_code == 200


def test_urls_in_the_input_are_never_fetched(client, beacon):
    html = (f'<html><head><title>t</title><link rel="stylesheet" href="{beacon.url}/style.css"></head><body>'
            f'<article><p>{SENTENCE}</p><p><img src="{beacon.url}/pixel.png"> Read more at '
            f'<a href="{beacon.url}/more">the source</a>. {SENTENCE}</p></article></body></html>')
    for payload in ({"text": SENTENCE, "url": beacon.url + "/article"},
                    {"html": html, "url": beacon.url + "/page"}):
        response = client.post("/api/analyze", json=payload)
        assert response.status_code == 200, response.text
        assert response.json()["article"]["url"] == payload["url"]
    assert beacon.hits == []


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/"), client.get("/docs"), client.get("/static/app.js"), client.get("/api/health"),
                     client.get("/openapi.json"), client.get("/no/such/page"),
                     client.post("/api/analyze", json={"text": ""})):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(client):
    for path in ("/", "/docs"):
        html = client.get(path).text
        assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), path
        # every <script> is either a static file of this app or non-executable JSON data
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_openapi_and_the_offline_docs_page(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/analyze", "/api/articles", "/api/claims", "/api/clusters", "/api/sources"):
        assert path in spec["paths"], path
    body = spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/plain", "text/html", "multipart/form-data"} <= set(body)
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "POST" in docs.text and "/api/analyze" in docs.text and "/openapi.json" in docs.text
    assert "swagger-ui" not in docs.text and "cdn." not in docs.text


def test_corpus_endpoints_without_a_database_say_how_to_load_one(client):
    for path in ("/api/articles", "/api/claims", "/api/clusters", "/api/sources", "/api/articles/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "serve --db" in response.json()["detail"]


def test_the_analyse_form_renders_errors_as_a_page(client):
    response = client.post("/analyse", data={"text": "  ", "published": "2022-01-01"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "empty" in response.text
    response = client.post("/analyse", data={"text": SENTENCE, "published": "soon"})
    assert response.status_code == 422 and "cannot read the date" in response.text


def test_the_web_app_and_the_report_share_one_layer_palette(client, example_analysis):
    from sourcetrace.report.html import render_html

    palette = client.get("/static/layers.css")
    assert palette.status_code == 200 and palette.headers["content-type"].startswith("text/css")
    assert ".l-channel" in palette.text and ".l-finding" in palette.text
    assert 'href="/static/layers.css"' in client.get("/").text
    assert palette.text in render_html(example_analysis)
