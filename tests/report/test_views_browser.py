"""The report's new views in a real headless Chromium: the claim queue (filters, keyboard, the link to the
text), the technique legend, labels. Screenshots go to $SOURCETRACE_SCREENSHOTS when set (docs/*.png)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sourcetrace.report.html import render_html
from tests.conftest import SEED_ARTICLE, SHARED, require_shared
from tests.report.test_html import _chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    driver = _chromium()
    yield driver
    driver.quit()


def save(browser, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    extra = os.environ.get("SOURCETRACE_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(extra) / name))


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> Path:
    from sourcetrace import analyze

    text = require_shared(SEED_ARTICLE).read_text(encoding="utf-8")
    analysis = analyze(text, id="seed", title="Seed article", published="2022-09-13", outlet="Al Mayadeen")
    page = tmp_path_factory.mktemp("report") / "seed.html"
    page.write_text(render_html(analysis), encoding="utf-8")
    page.with_suffix(".json").write_text(analysis.to_json(), encoding="utf-8")
    return page


def test_claim_queue_filters_and_keyboard(browser, seed_report, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(seed_report.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#claim-queue li.qclaim")
    assert len(rows) >= 3
    scores = [float(r.get_attribute("data-score")) for r in rows if r.get_attribute("data-score")]
    assert scores == sorted(scores, reverse=True)
    # filter: the outlet's own voice only
    Select(browser.find_element(By.ID, "q-speaker")).select_by_value("author")
    shown = [r for r in rows if r.is_displayed()]
    assert shown and all(r.get_attribute("data-speaker-kind") == "author" for r in shown)
    assert browser.find_element(By.ID, "q-shown").text == f"{len(shown)} of {len(rows)} shown"
    Select(browser.find_element(By.ID, "q-speaker")).select_by_value("")
    score = browser.find_element(By.ID, "q-score")
    score.clear()
    score.send_keys("0.5")
    assert all((float(r.get_attribute("data-score") or 0) >= 0.5) == r.is_displayed() for r in rows)
    score.clear()
    score.send_keys("0")
    # keyboard: the link to a claim's place is reached by Tab and followed with Enter
    link = rows[0].find_element(By.CSS_SELECTOR, "a.goto")
    browser.execute_script("arguments[0].focus()", link)
    link.send_keys(Keys.ENTER)
    focused = browser.find_elements(By.CSS_SELECTOR, "#article .m.focus")
    assert focused and "l-claim" in focused[0].get_attribute("class")
    assert browser.switch_to.active_element == focused[0]
    details = browser.find_element(By.ID, "details-list").text
    assert "evidence offsets" in details and rows[0].get_attribute("data-item")
    save(browser, tmp_path, "report-claim-queue.png")


# a held-out PTC article on which the techniques layer finds spans of three families
PTC_ARTICLE = SHARED / "data" / "ptc" / "train-articles" / "article708071969.txt"


@pytest.fixture(scope="module")
def technique_report(tmp_path_factory) -> Path:
    from sourcetrace import analyze

    text = require_shared(PTC_ARTICLE).read_text(encoding="utf-8")
    analysis = analyze(text, id="ptc-708071969", config={"techniques": {"operating_point": "recall"}})  # families
    page = tmp_path_factory.mktemp("report") / "ptc.html"
    page.write_text(render_html(analysis), encoding="utf-8")
    page.with_suffix(".json").write_text(analysis.to_json(), encoding="utf-8")
    return page


def test_legend_labels_and_default_layers(browser, technique_report, tmp_path):
    from selenium.webdriver.common.by import By

    seed_report = technique_report
    browser.get(seed_report.as_uri())
    checked = {box.get_attribute("data-layer") for box in browser.find_elements(By.CSS_SELECTOR, ".toggles input")
               if box.is_selected()}
    assert checked == {"source", "cue", "claim", "finding", "labels"}
    # techniques: on with one click, each family in its own colour, named in the legend
    browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="technique"]').click()
    marks = browser.find_elements(By.CSS_SELECTOR, "#article .m.l-technique")
    assert marks
    colours = {m.get_attribute("class").split("fam-")[1].split()[0]: m.value_of_css_property("background-color")
               for m in marks if "fam-" in m.get_attribute("class")}
    assert len(colours) >= 2 and len(set(colours.values())) == len(colours)  # one colour per family
    legend = browser.find_element(By.CSS_SELECTOR, "#techniques .legend").text
    labels = browser.find_elements(By.CSS_SELECTOR, "#article .lab-technique")
    assert labels and all(lab.get_attribute("data-label").replace(" ", "_") in legend.replace(" ", "_")
                          or lab.get_attribute("data-label") in legend for lab in labels)
    # labels add no text: the article reads as it was
    text = seed_report.with_suffix(".json").read_text(encoding="utf-8")
    import json

    assert browser.find_element(By.ID, "article").get_attribute("textContent") == json.loads(text)["article"]["text"]
    assert labels[0].value_of_css_property("display") != "none"
    browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="technique"]').click()
    assert labels[0].value_of_css_property("display") == "none"
    browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="technique"]').click()
    browser.execute_script("document.getElementById('techniques').scrollIntoView()")
    browser.execute_script("document.getElementById('article').scrollTop = 0; window.scrollTo(0, 0)")
    save(browser, tmp_path, "report-legend.png")


def test_hostile_claims_in_the_queue_stay_text(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from sourcetrace import analyze
    from tests.report.test_html import HOSTILE

    page = tmp_path / "hostile.html"
    page.write_text(render_html(analyze(HOSTILE, id="hostile")), encoding="utf-8")
    browser.get(page.as_uri())
    queue = browser.find_element(By.ID, "claim-queue")
    assert not queue.find_elements(By.CSS_SELECTOR, "script, img, svg, iframe, a:not(.goto)")
    assert browser.execute_script("return window.pwned === undefined") and browser.title != "pwned"
    if queue.find_elements(By.ID, "q-kind"):
        Select(browser.find_element(By.ID, "q-kind")).select_by_index(len(
            browser.find_elements(By.CSS_SELECTOR, "#q-kind option")) - 1)
        assert browser.execute_script("return window.pwned === undefined")
    assert "<script>" in browser.find_element(By.ID, "article").text or "onerror=" in \
        browser.find_element(By.ID, "article").text
