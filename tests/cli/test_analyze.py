"""The command line, driven in-process with Typer's runner and once as a real subprocess."""

import json
import subprocess
import sys

import jsonschema
from typer.testing import CliRunner

from sourcetrace.analysis import json_schema
from sourcetrace.cli import app
from tests.conftest import EXAMPLE_ARTICLE, REPO

runner = CliRunner()


def test_analyze_writes_valid_json_with_metadata(tmp_path):
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["analyze", str(EXAMPLE_ARTICLE), "--format", "json", "--out", str(out),
                                 "--published", "2022-10-05", "--outlet", "Example Wire", "--url", "https://x.test/a"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, json_schema())
    assert data["schema"] == "sourcetrace/analysis/v1"
    assert data["article"]["id"] == "article"
    assert (data["article"]["published"], data["article"]["outlet"]) == ("2022-10-05", "Example Wire")
    assert data["article"]["url"] == "https://x.test/a"
    assert data["article"]["text"] == EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    assert [t["stage"] for t in data["meta"]["timing"]][0] == "backbone"


def test_jsonl_keeps_input_order_over_several_files(tmp_path):
    for name, text in [("b", "Moscow explained the withdrawal."), ("a", "Pushilin said there was fighting.")]:
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(tmp_path / "b.txt"), str(tmp_path / "a.txt"),
                                 "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["article"]["id"] for line in out.read_text().splitlines()]
    assert ids == ["b", "a"]


def test_folder_output_writes_json_and_html_per_article(tmp_path):
    out = tmp_path / "reports"
    result = runner.invoke(app, ["analyze", str(EXAMPLE_ARTICLE), "--out", f"{out}/"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "article.json").read_text())["article"]["id"] == "article"
    assert "<article" in (out / "article.html").read_text()


def test_a_single_bad_file_is_one_clear_line_and_exit_1(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(bad), "--format", "json"])
    assert result.exit_code == 1
    assert f"{bad}: the file is empty" in result.output
    assert "Traceback" not in result.output


def test_bad_records_are_listed_at_the_end_and_the_rest_analysed(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "ok1", "text": "Moscow explained the withdrawal."}) + "\n{broken\n"
        + json.dumps({"id": "ok2", "text": "Pushilin said there was fighting."}) + "\n",
        encoding="utf-8",
    )
    out, errors = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    result = runner.invoke(app, ["analyze", str(corpus), "--format", "jsonl", "--out", str(out),
                                 "--errors", str(errors)])
    assert result.exit_code == 1
    assert [json.loads(x)["article"]["id"] for x in out.read_text().splitlines()] == ["ok1", "ok2"]
    assert "1 input(s) failed" in result.output and f"{corpus}:2" in result.output
    [failure] = [json.loads(x) for x in errors.read_text().splitlines()]
    assert failure["line"] == 2 and failure["source"] == str(corpus)


def test_stdin_and_a_bad_date_option():
    result = runner.invoke(app, ["analyze", "-", "--format", "json"], input="Moscow explained the withdrawal.")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["article"]["id"] == "stdin"
    result = runner.invoke(app, ["analyze", "-", "--published", "13/13/2022"], input="x y z")
    assert result.exit_code == 2 and "cannot read the date" in result.output


def test_schema_command_prints_the_committed_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    committed = json.loads((REPO / "sourcetrace/schema/analysis-v1.schema.json").read_text())
    assert json.loads(result.stdout) == committed


def test_readme_first_command_runs_as_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sourcetrace", "analyze", str(EXAMPLE_ARTICLE), "--published", "2022-10-05",
         "--out", f"{tmp_path}/"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "article.json").exists() and (tmp_path / "article.html").exists()
    assert "sourcetrace · article" in result.stdout


def test_one_article_that_breaks_a_stage_does_not_stop_the_folder(tmp_path, monkeypatch):
    from sourcetrace.stages.framing.stage import FramingMarkers

    original = FramingMarkers.process

    def breaks_on_one(self, documents):
        if any(d.analysis.article.id == "broken" for d in documents):
            raise ValueError("span [107, 38) outside a text of 203 characters")
        return original(self, documents)

    monkeypatch.setattr(FramingMarkers, "process", breaks_on_one)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fine.txt").write_text("Moscow explained the withdrawal, officials said.", encoding="utf-8")
    (folder / "broken.txt").write_text("The ministry was criticised, the senator said.", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(folder), "--out", f"{out}/", "--format", "json"])
    assert result.exit_code == 1
    assert "broken: stage framing failed: ValueError: span [107, 38)" in result.output
    assert "Traceback" not in result.output
    fine = json.loads((out / "fine.json").read_text())
    broken = json.loads((out / "broken.json").read_text())
    assert fine["meta"]["failed_stages"] == []
    assert [p["stage"] for p in broken["meta"]["failed_stages"]] == ["framing"]
    assert broken["attributions"], "the layers before the failure are kept"


def test_the_inverted_sentence_that_crashed_framing_is_analysed(tmp_path):
    path = tmp_path / "inverted.txt"
    path.write_text("The news arrived on Monday.\n\nContained within the hundreds of pages released in the latest "
                    "cache of emails were multiple requests from foundation donors, routed through the foundation "
                    "to a longtime aide.\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(path), "--format", "json", "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o.json").read_text())["meta"]["failed_stages"] == []


def test_russian_text_summary_says_first_which_layers_did_not_run(tmp_path):
    from tests.pipeline.test_run import RUSSIAN

    path = tmp_path / "ru.txt"
    path.write_text(RUSSIAN, encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(path), "--format", "text"])
    assert result.exit_code == 0, result.output
    first = result.output.strip().splitlines()[0]
    assert first.startswith("Language: Russian (ru). Not analysed for this language:")
    html = tmp_path / "ru.html"
    assert runner.invoke(app, ["analyze", str(path), "--format", "html", "--out", str(html)]).exit_code == 0
    assert 'class="coverage"' in html.read_text() and "Not analysed for this language" in html.read_text()
