"""`analyze` on several articles shows progress from the first article on, with a rate and an ETA."""

from __future__ import annotations

from rich.console import Console

from sourcetrace.analysis import ArticleInfo
from sourcetrace.cli import analyze as analyze_cli
from sourcetrace.cli import console as console_module


class CountingPipeline:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def analyze_batch(self, articles):  # noqa: ANN001, ANN201
        self.batches.append(len(articles))
        return [article.id for article in articles]


def test_progress_from_the_first_article(monkeypatch):
    lines = Console(record=True, width=100, force_terminal=False)
    monkeypatch.setattr(console_module, "err", lines)
    articles = [ArticleInfo(id=f"a{i}", text="The mayor said the bridge reopened.") for i in range(40)]
    pipeline = CountingPipeline()
    results = analyze_cli._run_with_progress(pipeline, articles)
    assert results == [a.id for a in articles]  # every article, in order
    assert pipeline.batches[:5] == [1, 2, 4, 8, 16] and sum(pipeline.batches) == 40
    printed = lines.export_text().splitlines()
    assert printed[0].startswith("analysing 1/40 articles,") and "articles/s" in printed[0] and "ETA" in printed[0]
    assert printed[-1].startswith("analysing 40/40 articles")
