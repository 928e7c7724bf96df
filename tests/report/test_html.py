"""The HTML report: layers highlighted, escaping of hostile article text, and a real browser run."""

import os
import shutil
import tempfile

import pytest

from sourcetrace import analyze
from sourcetrace.report.html import DEFAULT_LAYERS, render_html
from tests.conftest import IN_CI, REPO

HOSTILE = (
    'Officials said <script>window.pwned = 1; document.title = "pwned"</script> the bridge was closed.\n'
    '<img src=x onerror="window.pwned = 2; document.title = \'pwned\'"> Marochko said "it is fine".\n'
    '<a href="javascript:window.pwned=3">click</a> \u202eevil\u202c and </script><script>window.pwned=4</script>\n'
)


@pytest.fixture(scope="module")
def hostile_html():
    return render_html(analyze(HOSTILE, id="hostile"))


def test_hostile_text_is_escaped_everywhere(hostile_html):
    assert "<script>window.pwned" not in hostile_html
    assert "<img src=x" not in hostile_html
    assert '<a href="javascript:' not in hostile_html
    assert "&lt;script&gt;window.pwned = " in hostile_html and "&lt;img src=x onerror=" in hostile_html
    # exactly the report's own three script elements: two JSON data islands and one hashed script
    assert hostile_html.count("<script") == 3
    assert "script-src 'sha256-" in hostile_html


def test_report_shows_layers_and_side_panel(example_analysis):
    html = render_html(example_analysis)
    assert 'class="m' in html and ("l-entity" in html or "l-variant" in html)
    assert 'id="sources"' in html and 'id="findings"' in html
    assert example_analysis.article.title in html


def _chromium():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if IN_CI:
            pytest.fail("chromium and chromedriver must be installed in CI (Debian packages chromium, chromium-driver)")
        pytest.skip("Debian chromium/chromium-driver are not installed")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    profile = tempfile.mkdtemp(prefix="sourcetrace-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = _chromium()
    yield driver
    driver.quit()


@pytest.mark.browser
def test_report_in_a_real_browser(browser, example_analysis, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    page.write_text(render_html(example_analysis), encoding="utf-8")
    browser.get(page.as_uri())
    marks = browser.find_elements(By.CSS_SELECTOR, "#article .m")
    assert marks, "no highlighted spans in the article"
    layers = {c for m in marks for c in m.get_attribute("class").split() if c.startswith("l-")}
    assert layers, "highlights carry no layer class"
    marks[0].click()
    details = browser.find_element(By.ID, "details-list").text
    assert details.strip(), "clicking a highlight shows no details"
    # toggling a layer shown by default off hides its highlight
    layer = sorted(name[2:] for name in layers if name[2:] in DEFAULT_LAYERS)[0]
    box = browser.find_element(By.CSS_SELECTOR, f'.toggles input[data-layer="{layer}"]')
    box.click()
    assert f"hide-{layer}" in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    box.click()
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000
    if os.environ.get("SOURCETRACE_UPDATE_SCREENSHOTS"):  # refresh the README's screenshot on request only
        (REPO / "docs" / "report.png").write_bytes((tmp_path / "report.png").read_bytes())


@pytest.mark.browser
def test_hostile_report_runs_no_script(browser, hostile_html, tmp_path):
    from selenium.webdriver.common.by import By

    page = tmp_path / "hostile.html"
    page.write_text(hostile_html, encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.title != "pwned"
    text = browser.find_element(By.ID, "article").text
    assert "<script>window.pwned = 1;" in text and "onerror=" in text
    # the page's own script still works: the toggles respond
    browser.find_element(By.CSS_SELECTOR, ".toggles input").click()
    assert "hide-" in browser.find_element(By.TAG_NAME, "body").get_attribute("class")


@pytest.mark.browser
def test_reader_raises_the_technique_score_in_a_real_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    text = ("The Kiev regime and its Western puppet masters have once again shown their true face. Neo-Nazi "
            "battalions shelled peaceful Donetsk, killing innocent civilians, while the so-called free press "
            "remained silent. These criminals will never be forgiven. Every patriot knows that our great nation "
            "will not bow to the blackmail of a dying empire, and only traitors would claim otherwise.")
    # the triage (recall) point: spans on both sides of the slider's 0.5
    analysis = analyze(text, id="loaded", config={"techniques": {"operating_point": "recall"}})
    scores = sorted(t.score for t in analysis.techniques)
    assert len(scores) >= 3 and scores[0] < 0.5 <= scores[-1]
    page = tmp_path / "loaded.html"
    page.write_text(render_html(analysis), encoding="utf-8")
    browser.get(page.as_uri())

    def highlighted() -> set[str]:
        return {m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .m.l-technique")}

    def set_score(value: float) -> None:  # as dragging the slider does: a new value, then an input event
        browser.execute_script("var s = document.getElementById('technique-min-score'); s.value = arguments[0];"
                               "s.dispatchEvent(new Event('input'));", str(value))

    everything = highlighted()
    assert any("puppet masters" in piece for piece in everything)
    set_score(0.5)
    surest = highlighted()
    top = max(analysis.techniques, key=lambda t: t.score).span.text  # other layers' marks cut it into pieces
    assert surest and surest < everything and all(any(word in piece for piece in surest) for word in top.split())
    shown = sum(score >= 0.5 for score in scores)
    assert browser.find_element(By.ID, "technique-shown").text == f"{shown} of {len(scores)} highlighted."
    assert browser.find_element(By.ID, "technique-min-score-value").text == "0.50"
    set_score(0)
    assert highlighted() == everything
