"""The web pages in a real headless Chromium against a real uvicorn server on 127.0.0.1.

Screenshots go to the test's tmp folder, and also to $SOURCETRACE_SCREENSHOTS when it is set (that is how
docs/*.png in the README were made: `SOURCETRACE_SCREENSHOTS=docs python -m pytest tests/web/test_browser.py`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import EXAMPLE_ARTICLE, SEED_ARTICLE, require_shared
from tests.web.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def analyse(browser, server, text: str, *, fmt: str = "text", published: str = "", outlet: str = "") -> dict:
    """Paste `text` into the Analyse page, submit, wait for the result; returns the analysis JSON of the page."""
    browser.get(server.url + "/")
    textarea = browser.find_element(By.ID, "text")
    # The test's own setup script: typing a megabyte key by key would take minutes.
    browser.execute_script("arguments[0].value = arguments[1];", textarea, text)
    Select(browser.find_element(By.ID, "format")).select_by_value(fmt)
    if published:
        browser.find_element(By.ID, "published").send_keys(published)
    if outlet:
        browser.find_element(By.ID, "outlet").send_keys(outlet)
    browser.find_element(By.ID, "analyse-button").click()
    WebDriverWait(browser, 300).until(
        lambda driver: driver.find_elements(By.ID, "analysis-data") or driver.find_elements(By.ID, "error"))
    errors = browser.find_elements(By.ID, "error")
    assert not errors, errors[0].text
    return json.loads(browser.find_element(By.ID, "analysis-data").get_attribute("textContent"))


def details_text(browser) -> str:
    return browser.find_element(By.ID, "details-list").text


def assert_no_script_ran(browser) -> None:
    assert browser.execute_script("return window.__pwned === undefined && window.__pwned2 === undefined")
    assert "PWNED" not in browser.title and browser.title.endswith("Analyse · sourcetrace")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - raises when no alert is open


# ---------------------------------------------------------------------------------------------- reference article


@pytest.fixture(scope="module")
def seed_text() -> str:
    return require_shared(SEED_ARTICLE).read_text(encoding="utf-8")


def test_reference_article_is_shown_with_its_layers(browser, web_server, seed_text, tmp_path):
    analysis = analyse(browser, web_server, seed_text, published="2022-09-13", outlet="Al Mayadeen")
    article = browser.find_element(By.ID, "article")
    assert article.get_attribute("textContent") == seed_text  # every character, in order, nothing added
    assert analysis["article"]["published"] == "2022-09-13"
    marks = browser.find_elements(By.CSS_SELECTOR, "#article .m")
    assert marks, "no highlights at all"
    for layer in ("entity", "source", "channel", "claim", "finding"):
        toggle = browser.find_element(By.CSS_SELECTOR, f'.toggles input[data-layer="{layer}"]')
        assert toggle.is_selected() == (layer in ("source", "claim", "finding"))  # the page opens on a few layers
        if not toggle.is_selected():
            toggle.click()
    entity_names = {e["span"]["text"] for e in analysis["entities"]}
    shown = {m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-entity, #article .l-variant")}
    assert entity_names & shown
    screenshot(browser, tmp_path, "analyse.png")


def test_sputnik_is_marked_as_a_channel(browser, web_server, seed_text, tmp_path):
    analysis = analyse(browser, web_server, seed_text, published="2022-09-13")
    channels = [a for a in analysis["attributions"] if a.get("channel") and "Sputnik" in a["channel"]["text"]]
    if not channels:
        pytest.skip("the attribution layer gives no channel for Sputnik yet: nothing to show")
    marked = [m for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-channel") if "Sputnik" in m.text]
    assert marked, "Sputnik is not highlighted as a channel"
    marked[0].click()
    assert "Sputnik" in details_text(browser) and "channel" in details_text(browser)
    panel = browser.find_element(By.ID, "sources").text
    assert "channel: Sputnik" in panel
    screenshot(browser, tmp_path, "channel.png")


def test_the_tochka_u_finding_is_shown(browser, web_server, seed_text, tmp_path):
    analysis = analyse(browser, web_server, seed_text, published="2022-09-13")
    findings = [f for f in analysis["findings"] if "Tochka" in f["span"]["text"] or "Tochka" in f["message"]]
    if not findings:
        pytest.skip("the knowledge-base layer gives no Tochka-U finding yet: nothing to show")
    finding = findings[0]
    item = browser.find_element(By.CSS_SELECTOR, f'#findings li[data-item="{finding["id"]}"]')
    assert finding["message"][:40] in item.text
    item.click()
    focused = browser.find_elements(By.CSS_SELECTOR, "#article .m.focus")
    assert focused and finding["span"]["text"].startswith(focused[0].text[:10])
    assert finding["message"][:40] in details_text(browser)
    screenshot(browser, tmp_path, "finding.png")


# ---------------------------------------------------------------------------------------------- interaction


@pytest.fixture(scope="module")
def example_text() -> str:
    return EXAMPLE_ARTICLE.read_text(encoding="utf-8")


def test_toggle_a_layer_hides_and_shows_it(browser, web_server, example_text):
    analyse(browser, web_server, example_text, published="2022-10-05")
    entity = browser.find_element(By.CSS_SELECTOR, "#article .l-entity, #article .l-variant")
    layer = "variant" if "l-variant" in entity.get_attribute("class") else "entity"

    def decoration() -> str:
        return entity.value_of_css_property("text-decoration-line")

    assert decoration() == "none"  # entities are one click away: the page opens on sources, cues, claims
    toggle = browser.find_element(By.CSS_SELECTOR, f'.toggles input[data-layer="{layer}"]')
    toggle.click()
    assert "hide-" + layer not in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    assert decoration() == "underline"
    toggle.send_keys(Keys.SPACE)  # the toggles work from the keyboard too
    assert decoration() == "none"
    assert "hide-" + layer in browser.find_element(By.TAG_NAME, "body").get_attribute("class")


def test_click_and_keyboard_show_details_and_evidence(browser, web_server, example_text):
    analysis = analyse(browser, web_server, example_text, published="2022-10-05")
    marks = browser.find_elements(By.CSS_SELECTOR, "#article .m")
    last = marks[-1]
    last.click()
    start = int(last.get_attribute("data-start"))
    shown = details_text(browser)
    assert "evidence offsets" in shown
    offsets = [tuple(map(int, part.split("–"))) for part in shown.split("evidence offsets")[1].split()[0:1][0]
               .strip(",").split(",") if "–" in part]
    assert any(s <= start < e for s, e in offsets)
    assert analysis["article"]["text"][offsets[0][0]:offsets[0][1]].strip()
    # keyboard: Tab from the toolbar's last control (the guide link) lands on the first highlight and shows it
    browser.execute_script("document.querySelector('.guide-link').focus();")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    active = browser.switch_to.active_element
    assert "m" in active.get_attribute("class").split()
    assert active.get_attribute("data-start") == marks[0].get_attribute("data-start")
    assert details_text(browser)


def test_download_json(browser, web_server, example_text):
    analysis = analyse(browser, web_server, example_text, published="2022-10-05")
    target = Path(browser.download_dir) / (analysis["article"]["id"] + ".json")
    target.unlink(missing_ok=True)
    browser.find_element(By.ID, "download-json").click()
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), f"no download in {list(Path(browser.download_dir).iterdir())}"
    time.sleep(0.3)
    assert json.loads(target.read_text(encoding="utf-8")) == analysis


def test_upload_an_html_file(browser, web_server, tmp_path):
    page = tmp_path / "page.html"
    body = "<p>The regional governor said on Tuesday that 12 villages near Izyum had been cleared of mines.</p>" * 3
    page.write_text(f"<!DOCTYPE html><html><head><title>Mine clearance near Izyum</title></head>"
                    f"<body><article>{body}</article></body></html>", encoding="utf-8")
    browser.get(web_server.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(page))
    browser.find_element(By.ID, "analyse-button").click()
    WebDriverWait(browser, 120).until(lambda driver: driver.find_elements(By.ID, "analysis-data"))
    assert browser.find_element(By.ID, "result-title").text == "Mine clearance near Izyum"
    assert "12 villages near Izyum" in browser.find_element(By.ID, "article").text


def test_api_docs_page_works_offline(browser, web_server):
    browser.get(web_server.url + "/docs")
    assert browser.find_element(By.TAG_NAME, "h1").text == "HTTP API"
    assert "/api/analyze" in browser.find_element(By.TAG_NAME, "main").text
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(web_server.url) for url in resources), resources


# ---------------------------------------------------------------------------------------------- hostile input


def hostile_article(beacon_url: str) -> str:
    return "\n".join([
        "Officials said the bridge was destroyed.<script>window.__pwned = 1; document.title = 'PWNED';"
        " alert('xss')</script>",
        f'<img src="{beacon_url}/pixel.png" onerror="window.__pwned2 = 1; document.title = \'PWNED\'">',
        '<a href="javascript:window.__pwned=3;document.title=\'PWNED\'">Read the full report</a> according to Reuters.',
        "<svg onload=\"window.__pwned=4\"><iframe src=\"javascript:parent.__pwned=5\"></iframe></svg>",
        "</textarea></script></article><script>window.__pwned = 6</script>",
        "The file is named \u202etxt.exe and the minister said \u2067it was fine\u2069 on Monday.",
        "A" * 1_000_000,
        "Moscow said the claim was false.",
    ])


def test_a_hostile_article_is_rendered_inert(browser, web_server, beacon, tmp_path):
    text = hostile_article(beacon.url)
    assert len(text) > 1_000_000
    analysis = analyse(browser, web_server, text)
    assert_no_script_ran(browser)
    article = browser.find_element(By.ID, "article")
    assert not article.find_elements(By.CSS_SELECTOR, "script, img, a, svg, iframe, object, embed, textarea")
    shown = article.get_attribute("textContent")
    assert "<script>window.__pwned = 1;" in shown and 'href="javascript:' in shown and "onerror=" in shown
    assert shown.count("A" * 1000) >= 999  # the megabyte line is there, whole
    # the bidi controls are visible markers, not live controls
    markers = [m.text for m in article.find_elements(By.CSS_SELECTOR, "abbr.ctl")]
    assert markers == ["RLO", "RLI", "PDI"]
    assert "\u202e" not in shown and "\u2067" not in shown
    assert browser.find_element(By.CSS_SELECTOR, ".warn").is_displayed()
    assert analysis["article"]["text"] == text  # the analysis itself keeps the text as it was
    # the megabyte line wraps: the page does not grow sideways
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(browser, tmp_path, "hostile.png")
    # still usable: toggles, details, and a second analysis
    marks = article.find_elements(By.CSS_SELECTOR, ".m")
    if marks:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", marks[0])
        marks[0].click()
        assert details_text(browser)
    toggle = browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="entity"]')
    toggle.click()
    assert "hide-entity" not in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    # the claim queue shows the hostile claims as text, and its filters still work
    queue = browser.find_element(By.ID, "claim-queue")
    assert not queue.find_elements(By.CSS_SELECTOR, "script, img, svg, iframe, a:not(.goto)")
    if queue.find_elements(By.ID, "q-kind"):
        Select(queue.find_element(By.ID, "q-kind")).select_by_index(0)
    assert_no_script_ran(browser)
    analyse(browser, web_server, "The mayor said the water supply was restored on Friday.")
    assert "water supply" in browser.find_element(By.ID, "article").text
    assert beacon.hits == [], "the page fetched a URL from the article"


def test_hostile_html_upload_runs_nothing(browser, web_server, beacon, tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Bridge &lt;script&gt;window.__pwned=1&lt;/script&gt;</title>"
        "<script>window.__pwned = 1</script></head><body onload=\"window.__pwned=2\"><article>"
        "<p>Officials said the bridge was destroyed on Monday. "
        f"<img src=\"{beacon.url}/x\" onerror=\"window.__pwned=3\">"
        "The code &lt;script&gt;document.title='PWNED'&lt;/script&gt; was printed in the article.</p>"
        "<p><a href=\"javascript:window.__pwned=4\">Click</a> to read what the ministry said about the attack.</p>"
        "</article></body></html>", encoding="utf-8")
    browser.get(web_server.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(page))
    browser.find_element(By.ID, "analyse-button").click()
    WebDriverWait(browser, 120).until(lambda driver: driver.find_elements(By.ID, "analysis-data"))
    assert_no_script_ran(browser)
    assert "<script>" in browser.find_element(By.ID, "result-title").text
    assert not browser.find_element(By.ID, "article").find_elements(By.CSS_SELECTOR, "script, img, a")
    assert beacon.hits == []


# ---------------------------------------------------------------------------------------------- accessibility

UNLABELLED_CONTROLS_JS = """
return Array.from(document.querySelectorAll('input, select, textarea, button')).filter(function (el) {
  if (el.type === 'hidden') return false;
  var label = (el.labels && el.labels.length && el.labels[0].textContent.trim())
    || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim());
  return !label;
}).map(function (el) { return el.outerHTML; });
"""


def test_controls_are_labelled_and_the_keyboard_reaches_everything(browser, web_server, example_text):
    browser.get(web_server.url + "/")
    assert browser.execute_script(UNLABELLED_CONTROLS_JS) == []
    ActionChains(browser).send_keys(Keys.TAB).perform()  # the first Tab on a fresh page
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to content" and skip.location["x"] >= 0  # shown when focused
    analyse(browser, web_server, example_text, published="2022-10-05")
    assert browser.execute_script(UNLABELLED_CONTROLS_JS) == []
    mark = browser.find_element(By.CSS_SELECTOR, "#article .m")
    browser.execute_script("arguments[0].focus()", mark)
    assert browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", mark) != "none"
    # a side-panel entry is reachable and works with Enter
    entry = browser.find_elements(By.CSS_SELECTOR, ".panels li[data-item][tabindex]")
    if entry:
        browser.execute_script("arguments[0].focus()", entry[0])
        entry[0].send_keys(Keys.ENTER)
        assert browser.find_elements(By.CSS_SELECTOR, "#article .m.focus") and details_text(browser)
