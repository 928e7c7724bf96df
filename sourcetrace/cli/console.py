"""What every command module shares: the stderr console and the one-line error that ends a command."""

from __future__ import annotations

import typer
from rich.console import Console

err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise (`raise fail(...) from None`)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


# the pipeline settings options shared by `analyze`, `run` and `serve` (read by `sourcetrace.pipeline.settings`)
PROFILE_OPTION = typer.Option(
    None, "--profile", help="Shipped settings: 'fast' (no per-word MiniLM pass; see the README for its cost)."
)
CONFIG_OPTION = typer.Option(
    None, "--config", help="Stage settings file (YAML/JSON: stage name -> options), applied after --profile."
)


class ArticleProgress:
    """Articles done of a total, with a rate and an ETA from the first article on: a bar on a terminal, else a
    line at the first article and then every few seconds. The rate counts from the first article, so that the
    models' loading time does not read as slow analysis."""

    line_every_s = 5.0

    def __init__(self, total: int, label: str = "analysing") -> None:
        import time

        self._clock = time.perf_counter
        self.total, self.done, self.label = total, 0, label
        self.started = self._clock()
        self.first: tuple[float, int] | None = None
        self.last_line = 0.0
        self._bar = None
        if err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]} articles/s"), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=err, transient=True)
            self._task = self._bar.add_task(label, total=total, rate="-")
            self._bar.start()

    def rate(self) -> float:
        now = self._clock()
        if self.first is not None and self.done > self.first[1] and now > self.first[0]:
            return (self.done - self.first[1]) / (now - self.first[0])
        return self.done / (now - self.started) if now > self.started else 0.0

    def line(self) -> str:
        rate = self.rate()
        text = f"{self.label} {self.done}/{self.total} articles, {rate:.2f} articles/s"
        if rate > 0 and self.done < self.total:
            text += f", ETA {(self.total - self.done) / rate:.0f} s"
        return text

    def advance(self, count: int) -> None:
        first_report = self.first is None
        self.done += count
        if first_report:
            self.first = (self._clock(), self.done)
        if self._bar is not None:
            self._bar.update(self._task, advance=count, rate=f"{self.rate():.2f}")
            return
        now = self._clock()
        if first_report or now - self.last_line >= self.line_every_s or self.done >= self.total:
            self.last_line = now
            err.print(self.line(), highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
