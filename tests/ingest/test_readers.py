"""Every reader on real input, and every bad-input path gives a clear error that names file and line."""

import io
import json

import pytest

from sourcetrace.errors import InputError
from sourcetrace.ingest import ReadOptions, input_warnings, read_inputs, read_stdin
from sourcetrace.ingest.common import FieldMap, decode

SENTENCE = "Lt. Col. Andrei Marochko said NATO officers had been seen near Kharkov."


def _read(*paths, options=None):
    return list(read_inputs([str(p) for p in paths], options or ReadOptions()))


def test_text_file_keeps_the_text_exactly_and_takes_the_headline_as_title(tmp_path):
    path = tmp_path / "marochko-claim.txt"
    text = "NATO officers seen near Kharkov\n" + SENTENCE + "\n"
    path.write_text(text, encoding="utf-8")
    [article] = _read(path, options=ReadOptions(published="2022-09-13", outlet="Sputnik"))
    assert article.id == "marochko-claim"
    assert article.text == text
    assert article.title == "NATO officers seen near Kharkov"
    assert (article.published, article.outlet) == ("2022-09-13", "Sputnik")


def test_latin1_text_is_decoded_not_lost(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Le ministre a déclaré que la situation était « très grave » à Kharkiv.".encode("latin-1"))
    [article] = _read(path)
    assert "déclaré" in article.text and "à Kharkiv" in article.text


def test_html_main_text_and_metadata(tmp_path):
    path = tmp_path / "page.html"
    body = " ".join([SENTENCE] * 3)
    path.write_text(
        "<html><head><title>Officers seen near Kharkov | Example News</title>"
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2022-09-13T10:00:00Z">'
        '<link rel="canonical" href="https://news.example.org/kharkov-officers"></head>'
        f"<body><nav>Home | World</nav><article><h1>Officers seen near Kharkov</h1><p>{body}</p>"
        "<p>The ministry said in a statement that the claim was false and that no foreign officers were there.</p>"
        "</article><footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    [article] = _read(path)
    assert article.id == "page"
    assert "Marochko said NATO officers" in article.text
    assert "Copyright" not in article.text
    assert article.published == "2022-09-13"
    assert article.outlet == "Example News"
    assert article.url == "https://news.example.org/kharkov-officers"
    assert "Officers seen near Kharkov" in (article.title or "")


def test_html_without_main_text_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    [error] = _read(path)
    assert isinstance(error, InputError)
    assert str(error).startswith(str(path)) and "no main text" in str(error)


def test_jsonl_reports_broken_lines_and_reads_the_rest(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": SENTENCE, "outlet": "TASS", "published": "2022-09-11"}),
        "{not json",
        json.dumps({"id": "a3", "body": "no text field"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "a5", "text": "Russia announced on September 10th that its forces were withdrawing."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = _read(path)
    articles = [i for i in items if not isinstance(i, InputError)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert [a.id for a in articles] == ["a1", "a5"]
    assert articles[0].outlet == "TASS" and articles[0].published == "2022-09-11"
    assert [e.line for e in errors] == [2, 3, 4]
    assert "invalid JSON" in str(errors[0]) and f"{path}:2" in str(errors[0])
    assert "no 'text' field" in str(errors[1]) and "record a3" in str(errors[1])


def test_jsonl_field_names_are_configurable(tmp_path):
    path = tmp_path / "custom.jsonl"
    path.write_text(json.dumps({"doc": "x9", "body": SENTENCE, "source": "RT"}) + "\n", encoding="utf-8")
    options = ReadOptions(fields=FieldMap(id="doc", text="body", outlet="source"))
    [article] = _read(path, options=options)
    assert (article.id, article.outlet, article.text) == ("x9", "RT", SENTENCE)


def test_csv_reads_quoted_multiline_fields_and_reports_bad_rows(tmp_path):
    path = tmp_path / "articles.csv"
    path.write_text(
        'id,title,text,published\n'
        'c1,Officers,"' + SENTENCE + '\nA second paragraph, with a comma.",2022-09-13\n'
        'c2,Short row\n'
        'c3,Bad date,"Moscow explained the withdrawal.",not-a-date\n'
        'c4,,"The ministry said in a statement that it regrouped.",\n',
        encoding="utf-8",
    )
    items = _read(path)
    articles = {a.id: a for a in items if not isinstance(a, InputError)}
    errors = [i for i in items if isinstance(i, InputError)]
    assert set(articles) == {"c1", "c3", "c4"}
    assert articles["c1"].text.endswith("with a comma.") and articles["c1"].published == "2022-09-13"
    assert articles["c3"].published is None and "cannot read the date" in input_warnings(articles["c3"])[0]
    assert len(errors) == 1
    assert errors[0].line == 4 and "2 fields" in str(errors[0])


def test_csv_without_text_column_names_the_problem(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    [error] = _read(path)
    assert "no 'text' column" in str(error) and error.line == 1


def test_folder_reads_every_supported_file_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "a.txt").write_text("Moscow explained the withdrawal.", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    assert [a.id for a in _read(tmp_path)] == ["a", "b"]


def test_stdin_text_and_html_are_told_apart():
    [text_article] = read_stdin(ReadOptions(), io.BytesIO(SENTENCE.encode()))
    assert text_article.id == "stdin" and text_article.text == SENTENCE
    html = f"<html><body><article><p>{SENTENCE} {SENTENCE}</p></article></body></html>".encode()
    [html_article] = read_stdin(ReadOptions(), io.BytesIO(html))
    assert "Marochko" in html_article.text and "<p>" not in html_article.text


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"   \n\t", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")],
)
def test_empty_and_binary_files_are_refused_by_name(tmp_path, payload, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(payload)
    [error] = _read(path)
    assert isinstance(error, InputError) and message in str(error) and str(path) in str(error)


def test_missing_and_unsupported_paths(tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    missing, unsupported = _read(tmp_path / "nope.txt", tmp_path / "report.pdf")
    assert "no such file" in str(missing) and str(tmp_path / "nope.txt") in str(missing)
    assert "unsupported file type" in str(unsupported)


def test_utf16_with_bom_is_decoded():
    assert decode("Kyiv said".encode("utf-16"), "x.txt") == "Kyiv said"
