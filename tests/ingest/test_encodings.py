"""Text in every common encoding comes out as it was written: declared charsets and BOMs are honoured,
undeclared bytes are read as UTF-8 first, and short texts in a legacy code page are never mangled."""

import io

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sourcetrace.errors import InputError
from sourcetrace.ingest import ReadOptions, read_inputs
from sourcetrace.ingest.common import declared_charset, decode

FRENCH_SHORT = "Le ministère a démenti."
FRENCH = "Le ministre a déclaré que la situation était « très grave » à Kharkiv, selon l’AFP — 5 € de plus."
GERMAN_SHORT = "Die Außenministerin äußerte sich zurückhaltend."
RUSSIAN = "Министерство обороны России заявило, что войска отошли от Херсона на левый берег Днепра."
RUSSIAN_SHORT = "Песков заявил журналистам."
CZECH = "Ministerstvo zahraničí uvedlo, že příliš žluťoučký kůň úpěl ďábelské ódy."


def _text_file(tmp_path, data: bytes, name: str = "article.txt") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    [item] = list(read_inputs([str(path)], ReadOptions()))
    assert not isinstance(item, InputError), str(item)
    return item.text


@pytest.mark.parametrize("text", [FRENCH, RUSSIAN, RUSSIAN_SHORT, "Kyiv said."])
def test_utf8_with_and_without_bom(tmp_path, text):
    assert _text_file(tmp_path, text.encode("utf-8")) == text
    assert _text_file(tmp_path, text.encode("utf-8-sig")) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("text", [FRENCH_SHORT, RUSSIAN])
def test_utf16_and_utf32_with_bom(tmp_path, encoding, text):
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    assert _text_file(tmp_path, bom + text.encode(encoding)) == text


@pytest.mark.parametrize("text", [FRENCH_SHORT, FRENCH, GERMAN_SHORT, "Übersee.", "Le ministère"])
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_short_latin1_and_cp1252_text_is_not_mangled(tmp_path, text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        pytest.skip(f"{encoding} has no € or typographic quotes")
    assert _text_file(tmp_path, data) == text


@pytest.mark.parametrize("text", [RUSSIAN, RUSSIAN_SHORT, "Кремль ответил."])
@pytest.mark.parametrize("encoding", ["koi8_r", "cp1251"])
def test_russian_in_koi8r_and_cp1251(tmp_path, text, encoding):
    assert _text_file(tmp_path, text.encode(encoding)) == text


@pytest.mark.parametrize("encoding", ["koi8_u", "cp1251"])
def test_ukrainian_in_koi8u_and_cp1251(tmp_path, encoding):
    text = "Міністерство оборони України повідомило, що їхні війська звільнили село."
    assert _text_file(tmp_path, text.encode(encoding)) == text


def test_csv_in_cp1251_keeps_every_record(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(f'id,text\nr1,"{RUSSIAN}"\nr2,{RUSSIAN_SHORT}\n'.encode("cp1251"))
    texts = [a.text for a in read_inputs([str(path)], ReadOptions())]
    assert texts == [RUSSIAN, RUSSIAN_SHORT]


def _page(text: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
    return f"<html><head>{head}<title>t</title></head><body><article>{paragraphs}</article></body></html>"


@pytest.mark.parametrize(
    ("head", "encoding", "text"),
    [
        ('<meta charset="windows-1251">', "cp1251", RUSSIAN_SHORT),
        ("<meta http-equiv='Content-Type' content='text/html; charset=KOI8-R'>", "koi8_r", RUSSIAN_SHORT),
        ('<meta charset="iso-8859-2">', "iso-8859-2", CZECH),  # read as cp1252 it would come out mangled
        ('<meta charset="iso-8859-1">', "cp1252", FRENCH),  # browsers read a Latin-1 label as windows-1252
    ],
)
def test_html_meta_charset_is_honoured(tmp_path, head, encoding, text):
    path = tmp_path / "page.html"
    path.write_bytes(_page(text, head).encode(encoding))
    [article] = list(read_inputs([str(path)], ReadOptions()))
    assert not isinstance(article, InputError), str(article)
    assert text in article.text


def test_a_wrong_declaration_does_not_mangle_the_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(_page(FRENCH_SHORT + " " + FRENCH, '<meta charset="utf-8">').encode("cp1252"))
    [article] = list(read_inputs([str(path)], ReadOptions()))
    assert FRENCH_SHORT in article.text


def test_a_page_saved_as_utf8_with_its_old_declaration_is_read_as_utf8(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(_page(RUSSIAN, '<meta charset="windows-1251">').encode("utf-8"))
    [article] = list(read_inputs([str(path)], ReadOptions()))
    assert RUSSIAN in article.text


def test_warc_http_charset_is_honoured(tmp_path):
    path = tmp_path / "crawl.warc"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=windows-1251")],
                                   protocol="HTTP/1.1")
        payload = io.BytesIO(_page(RUSSIAN_SHORT).encode("cp1251"))
        writer.write_record(writer.create_warc_record("https://news.example/ru", "response", payload=payload,
                                                      http_headers=headers))
    [article] = list(read_inputs([str(path)], ReadOptions()))
    assert not isinstance(article, InputError), str(article)
    assert RUSSIAN_SHORT in article.text


def test_declared_charset_sniffing():
    assert declared_charset(b'<html><head><meta charset="utf-8">') == "utf-8"
    assert declared_charset(b'<meta http-equiv="content-type" content="text/html;charset=koi8-r" />') == "koi8-r"
    assert declared_charset(b'<?xml version="1.0" encoding="windows-1251"?><html>') == "windows-1251"
    assert declared_charset(b"<html><head><title>no charset</title>") is None


def test_declared_encoding_wins_over_guessing():
    data = CZECH.encode("iso-8859-2")
    assert decode(data, "x.html", declared="ISO-8859-2") == CZECH
    assert decode(data, "x.html", declared="no-such-charset") != ""  # an unknown label falls back to guessing
