"""Russian and Ukrainian articles in the static HTML report, in a real headless Chromium: the text is shown
whole, and the speaker, entity, date and framing layers are highlighted as for English."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcetrace import analyze
from sourcetrace.report.html import render_html
from tests.report.test_html import _chromium

pytestmark = pytest.mark.browser

RUSSIAN = ("Пресс-секретарь президента РФ Дмитрий Песков заявил, что переговоры с Киевом пока не ведутся. "
           "«Мы не видим предпосылок для встречи», — сказал Песков журналистам. "
           "По данным Минобороны, 12 марта в Харькове прошли учения. Ситуацию на Украине обсуждали в Москве.")
UKRAINIAN = ("Президент України Володимир Зеленський заявив, що Україна не погодиться на заморожування війни. "
             "«Ми будемо захищати кожне місто», — сказав Зеленський. "
             "За словами речника Повітряних сил, 14 березня в Харкові пролунали вибухи.")


@pytest.fixture(scope="module")
def browser():
    driver = _chromium()
    yield driver
    driver.quit()


def _report(tmp_path: Path, text: str) -> tuple[Path, object]:
    analysis = analyze(text, id="cyrillic", published="2023-03-15")
    page = tmp_path / "report.html"
    page.write_text(render_html(analysis), encoding="utf-8")
    return page, analysis


def _show(browser, layer: str) -> None:
    from selenium.webdriver.common.by import By

    toggle = browser.find_element(By.CSS_SELECTOR, f'.toggles input[data-layer="{layer}"]')
    if not toggle.is_selected():
        toggle.click()


@pytest.mark.parametrize(("text", "language", "speaker", "place", "date"), [
    (RUSSIAN, "ru", "Песков", "Харькове", "12 марта"),
    (UKRAINIAN, "uk", "Зеленський", "Харкові", "14 березня"),
])
def test_a_cyrillic_article_is_shown_with_its_layers(browser, tmp_path, text, language, speaker, place, date):
    from selenium.webdriver.common.by import By

    page, analysis = _report(tmp_path, text)
    assert analysis.meta.language == language
    browser.get(page.as_uri())
    assert browser.find_element(By.ID, "article").get_attribute("textContent") == text
    sources = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-source")]
    assert any(speaker in source for source in sources), sources
    _show(browser, "entity")
    entities = "".join(m.text for m in browser.find_elements(By.CSS_SELECTOR, "#article .l-entity"))
    assert place in entities
    queue = browser.find_element(By.ID, "claim-queue").get_attribute("textContent")
    assert date in queue and "–" in queue  # the claim's date; no check-worthiness score for these languages
    assert speaker in browser.find_element(By.ID, "sources").get_attribute("textContent")
    browser.save_screenshot(str(tmp_path / f"report-{language}.png"))
    assert (tmp_path / f"report-{language}.png").stat().st_size > 10_000


def test_a_russian_usage_marker_is_highlighted_with_its_explanation(browser, tmp_path):
    from selenium.webdriver.common.by import By

    page, analysis = _report(tmp_path, RUSSIAN)
    marker = next(f for f in analysis.framing if f.span is not None and f.span.text == "на Украине")
    browser.get(page.as_uri())
    _show(browser, "framing")
    pieces = browser.find_elements(By.CSS_SELECTOR, f'#article .l-framing[data-items~="{marker.id}"]')
    assert "".join(piece.text for piece in pieces) == "на Украине"
    pieces[0].click()
    assert marker.explanation[:40] in browser.find_element(By.ID, "details-list").text
