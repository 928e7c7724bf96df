"""Russian and Ukrainian articles on the web app's Analyse page, in a real headless Chromium against a real
server: the same layers as for English, the text whole, and the reasons for what did not run."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.report.test_cyrillic_browser import RUSSIAN, UKRAINIAN
from tests.web.conftest import screenshot
from tests.web.test_browser import analyse

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize(("text", "language", "speaker", "place"), [
    (RUSSIAN, "ru", "Песков", "Харькове"),
    (UKRAINIAN, "uk", "Зеленський", "Харкові"),
], ids=["ru", "uk"])
def test_a_cyrillic_article_is_analysed_and_shown(browser, web_server, tmp_path, text, language, speaker, place):
    analysis = analyse(browser, web_server, text, published="2023-03-15")
    assert analysis["meta"]["language"] == language
    assert browser.find_element(By.ID, "article").get_attribute("textContent") == text
    sources = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-source")]
    assert any(speaker in source for source in sources), sources
    toggle = browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="entity"]')
    if not toggle.is_selected():
        toggle.click()
    assert place in "".join(m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-entity"))
    page = browser.find_element(By.TAG_NAME, "body").text
    # the layers this language does not get are named, not left silently empty
    assert "Not analysed for this language: knowledge_base, factchecks" in page
    screenshot(browser, tmp_path, f"web-{language}.png")
