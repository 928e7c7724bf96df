"""The command line (`sourcetrace ...`): a thin shell over the Python API, one module per command group, each
adding its commands with `register(app)`."""

from __future__ import annotations

import sys

import typer

from sourcetrace.cli import analyze, corpus, evaluate, exchange, factchecks, gazetteer, serve
from sourcetrace.cli.console import err
from sourcetrace.errors import SourcetraceError

app = typer.Typer(
    name="sourcetrace",
    help="Reads news articles the way a verification desk does: who says what, through whom, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# the order of the commands in `sourcetrace --help`
COMMAND_MODULES = (analyze, evaluate, corpus, serve, gazetteer, factchecks, exchange)
for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    try:
        app()
    except SourcetraceError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(1)
