"""Claims in Russian and Ukrainian: extracted with their quantities and dates; no check-worthiness score, and
the analysis says why."""

import pytest

from sourcetrace.api import make_article
from sourcetrace.pipeline.run import Pipeline
from sourcetrace.stages.claims.quantities import find_cyrillic_quantities

RUSSIAN = ("Россия готова к переговорам с Украиной без предварительных условий. Об этом заявил пресс-секретарь "
           "президента Дмитрий Песков. По данным Минобороны, ВСУ потеряли более 200 человек за сутки. Цены "
           "вырастут на 15% в следующем году.")


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(("backbone", "entities", "time", "attribution", "claims"))


def test_russian_claims_have_speakers_quantities_dates_and_no_score(pipeline):
    analysis = pipeline.analyze(make_article(RUSSIAN, id="ru", language="ru", published="2022-06-01"))
    claims = {c.span.text: c for c in analysis.claims}
    ready = claims["Россия готова к переговорам с Украиной без предварительных условий"]
    assert ready.speaker.name == "Дмитрий Песков" and not ready.author_voice
    losses = claims["ВСУ потеряли более 200 человек за сутки"]
    assert losses.kind == "statistic" and [q.lower for q in losses.quantities] == [200.0]
    prices = claims["Цены вырастут на 15% в следующем году."]
    assert prices.author_voice and [d.value for d in prices.dates] == ["2023"]
    assert all(c.checkworthiness is None for c in analysis.claims)
    assert any("not scored for Russian (ru)" in w for w in analysis.meta.warnings)
    assert "checkworthiness" not in analysis.meta.models


@pytest.mark.parametrize(("text", "expected"), [
    ("ВСУ потеряли более 200 человек", [("более 200 человек", None, 200.0, "человек", "count")]),
    ("Кредит 12,274 млрд рублей", [("12,274 млрд рублей", 12_274_000_000.0, None, "RUB", "money")]),
    ("Понад 1 200 військових", [("Понад 1 200 військових", None, 1200.0, "військових", "count")]),
    ("цены выросли на 15%", [("15%", 15.0, None, "percent", "percent")]),
    ("24 февраля 2022 года, в 2014 году", []),
])
def test_cyrillic_quantities(text, expected):
    found = find_cyrillic_quantities(text, 0, len(text))
    assert [(q.span.text, q.value, q.lower, q.unit, q.kind) for q in found] == expected
