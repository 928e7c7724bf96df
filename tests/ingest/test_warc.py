"""The WARC reader: HTML responses become articles with the record's URL and date; the rest is skipped."""

import io

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sourcetrace.errors import InputError
from sourcetrace.ingest import ReadOptions, read_inputs

PARAGRAPHS = [
    "Ukrainian officials said on Monday that the Antonivskyi bridge over the Dnipro had been struck again "
    "overnight, leaving it impassable for heavy vehicles.",
    "The regional administration said repairs would take weeks. Residents of Kherson reported long queues at the "
    "remaining ferry crossing, where boats carried food and medicine across the river.",
    "A military spokesman declined to say which units had carried out the strike, citing operational security.",
]


def _page(title: str, date: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><title>{title}</title>{meta}</head><body><nav>Home | World</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright</footer></body></html>"
    ).encode()


def _write_warc(path, gzip: bool) -> None:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)

        def response(url, payload, content_type="text/html; charset=utf-8", status="200 OK", date=None):
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            warc_headers = {"WARC-Date": date} if date else None
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), http_headers=headers, warc_headers_dict=warc_headers
            )
            writer.write_record(record)

        writer.write_record(writer.create_warc_record("https://news.example/a", "request", payload=io.BytesIO(b"GET")))
        response("https://news.example/bridge", _page("Bridge struck again", "2022-09-12"))
        response("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
        response("https://news.example/missing", b"<html>gone</html>", status="404 Not Found")
        response("https://news.example/undated", _page("Ferry queues"), date="2022-09-14T08:00:00Z")
        response("https://news.example/empty", b"<html><body><nav>menu</nav></body></html>")


@pytest.mark.parametrize("suffix,gzip", [(".warc", False), (".warc.gz", True)])
def test_html_responses_become_articles(tmp_path, suffix, gzip):
    path = tmp_path / f"crawl{suffix}"
    _write_warc(path, gzip)
    items = list(read_inputs([str(path)], ReadOptions()))
    articles = [i for i in items if not isinstance(i, InputError)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert [a.url for a in articles] == ["https://news.example/bridge", "https://news.example/undated"]
    bridge, undated = articles
    assert "Antonivskyi bridge" in bridge.text and "Copyright" not in bridge.text
    assert bridge.published == "2022-09-12"  # from the page
    assert undated.published == "2022-09-14"  # from the record's WARC-Date
    assert bridge.id != undated.id and len(bridge.id) == 36  # the record's uuid: stable across reruns
    [error] = errors
    assert "https://news.example/empty" in str(error) and "no main text" in str(error)


def test_truncated_archive_reports_where_it_broke(tmp_path):
    path = tmp_path / "cut.warc.gz"
    _write_warc(path, gzip=True)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    items = list(read_inputs([str(path)], ReadOptions()))
    assert isinstance(items[-1], InputError)
    assert str(items[-1]).startswith(str(path)) and "truncated" in str(items[-1])


def test_not_a_warc(tmp_path):
    path = tmp_path / "fake.warc"
    path.write_text("hello, this is not an archive\n")
    [error] = list(read_inputs([str(path)], ReadOptions()))
    assert isinstance(error, InputError) and "WARC" in str(error)
