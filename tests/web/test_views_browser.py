"""The desk's views in a real headless Chromium: the claim queue of the Analyse page and the corpus pages
(sorting, facets, speakers, links), by mouse and by keyboard. Screenshots go to $SOURCETRACE_SCREENSHOTS when set
(`SOURCETRACE_SCREENSHOTS=docs python -m pytest tests/web/test_views_browser.py` made docs/web-*.png)."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.conftest import EXAMPLE_ARTICLE
from tests.corpus.conftest import speaker_corpus  # noqa: F401 - the fixture
from tests.web.conftest import screenshot, start_server
from tests.web.test_browser import analyse

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def corpus_server(speaker_corpus):  # noqa: F811
    from sourcetrace.pipeline.run import Pipeline
    from sourcetrace.web.app import WebSettings, create_app

    running, stop = start_server(create_app(WebSettings(db=speaker_corpus), pipeline=Pipeline(())))
    yield running
    stop()


def test_claim_queue_on_the_analyse_page(browser, web_server, tmp_path):
    analysis = analyse(browser, web_server, EXAMPLE_ARTICLE.read_text(encoding="utf-8"), published="2022-10-05",
                       outlet="Example Daily")
    rows = browser.find_elements(By.CSS_SELECTOR, "#claim-queue li.qclaim")
    assert len(rows) == len(analysis["claims"])
    scores = [float(r.get_attribute("data-score")) for r in rows if r.get_attribute("data-score")]
    assert scores == sorted(scores, reverse=True)
    assert "the outlet's own voice" in browser.find_element(By.ID, "claim-queue").text
    toggle = browser.find_element(By.CSS_SELECTOR, '.toggles input[data-layer="source"]')
    panel = browser.find_element(By.ID, "sources-with-source").text
    assert f"({panel})" in toggle.find_element(By.XPATH, "..").text  # the toggle and the panel count the same
    Select(browser.find_element(By.ID, "q-kind")).select_by_value("statistic")
    shown = [r for r in rows if r.is_displayed()]
    assert all(r.get_attribute("data-kind") == "statistic" for r in shown)
    Select(browser.find_element(By.ID, "q-kind")).select_by_value("")
    # keyboard only: Tab from the score filter reaches the first claim's link; Enter shows it in the text
    browser.execute_script("document.getElementById('q-score').focus()")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    link = browser.switch_to.active_element
    assert "goto" in link.get_attribute("class")
    link.send_keys(Keys.ENTER)
    focused = browser.switch_to.active_element
    assert "m" in focused.get_attribute("class").split() and "focus" in focused.get_attribute("class")
    assert "evidence offsets" in browser.find_element(By.ID, "details-list").text
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, tmp_path, "web-claim-queue.png")


def test_corpus_claims_sort_and_facets(browser, corpus_server, tmp_path):
    browser.get(corpus_server.url + "/corpus/claims")

    def scores() -> list[str]:
        return [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#claims-table tbody td:first-child")]

    assert scores()[:4] == ["0.93", "0.61", "0.45", "0.20"]
    header = browser.find_element(By.CSS_SELECTOR, "#claims-table th[aria-sort] a.sort")
    header.send_keys(Keys.ENTER)  # a sort header is a link: the keyboard sorts too
    assert scores()[0] == "0.20"
    assert browser.find_element(By.CSS_SELECTOR, "#claims-table th[aria-sort]").get_attribute("aria-sort") == \
        "ascending"
    facet = browser.find_element(By.XPATH, "//section[@aria-label='Speaker']//a[text()='Maria Petrenko']")
    count = int(facet.find_element(By.XPATH, "following-sibling::span").text)
    facet.click()
    assert int(browser.find_element(By.ID, "claims-total").text) == count == 3
    assert browser.find_element(By.ID, "f-speaker").get_attribute("value") == "Maria Petrenko"
    # no word broken across lines in the table
    assert browser.execute_script("""
        return Array.from(document.querySelectorAll('#claims-table td:not(.text)')).every(function (td) {
          return getComputedStyle(td).overflowWrap === 'normal'; });""")
    browser.get(corpus_server.url + "/corpus/claims")
    screenshot(browser, tmp_path, "web-corpus-claims.png")


def test_speaker_to_claims_to_cluster(browser, corpus_server, tmp_path):
    browser.get(corpus_server.url + "/corpus/speakers")
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#speakers-table tbody td:first-child a")]
    assert names == ["Dmitry Peskov", "Maria Petrenko"]
    screenshot(browser, tmp_path, "web-corpus-speakers.png")
    browser.find_element(By.LINK_TEXT, "Dmitry Peskov").click()
    assert browser.find_element(By.ID, "claims-total").text == "3"
    column = browser.find_elements(By.CSS_SELECTOR, "#claims-table td:nth-child(4)")
    speakers = {td.text.split(" (")[0] for td in column}
    assert speakers == {"Dmitry Peskov"}
    browser.find_element(By.LINK_TEXT, "cluster").click()
    assert re.search(r"/corpus/clusters/cl_", browser.current_url)
    assert "RIA Novosti" in browser.find_element(By.TAG_NAME, "main").text


def test_sources_and_articles_pages_by_keyboard(browser, corpus_server, tmp_path):
    browser.get(corpus_server.url + "/corpus/sources")
    rows = browser.find_elements(By.CSS_SELECTOR, "#sources-table tbody tr")
    assert int(browser.find_element(By.ID, "sources-total").text) == len(rows)
    table = browser.find_element(By.ID, "sources-table").text
    assert "Dmitry Peskov (named person)" in table and not re.search(r"(^|\n)Peskov \(", table)
    browser.get(corpus_server.url + "/corpus/articles")
    link = browser.find_element(By.XPATH, "//section[@aria-label='Outlet']//a[text()='Kyiv Post']")
    browser.execute_script("arguments[0].focus()", link)
    link.send_keys(Keys.ENTER)
    assert browser.find_element(By.ID, "articles-total").text == "2"
    assert "aria-current" in browser.find_element(
        By.XPATH, "//section[@aria-label='Outlet']//a[text()='Kyiv Post']").get_attribute("outerHTML")
    screenshot(browser, tmp_path, "web-corpus-articles.png")


def test_guide_page(browser, corpus_server):
    browser.get(corpus_server.url + "/guide")
    assert browser.find_element(By.TAG_NAME, "h1").text == "How to read a sourcetrace report"
    assert browser.find_elements(By.CSS_SELECTOR, "main table")
