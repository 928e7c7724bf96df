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
