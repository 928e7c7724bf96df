"""`sourcetrace evaluate TASK`: each task module in `TASK_MODULES` adds its command with `register(app)`."""

from __future__ import annotations

import importlib
import importlib.util

import typer

TASK_MODULES = (
    "sourcetrace.evaluate.attribution",
    "sourcetrace.evaluate.checkworthiness",
    "sourcetrace.evaluate.techniques",
    "sourcetrace.evaluate.techniques_unlp",
    "sourcetrace.evaluate.factcheck_matching",
    "sourcetrace.evaluate.stance",
)

evaluate_app = typer.Typer(
    name="evaluate", help="Measure an extractor on public gold data and print the task's standard metrics.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    for name in TASK_MODULES:
        if importlib.util.find_spec(name) is not None:  # a task module not in this checkout is left out
            importlib.import_module(name).register(evaluate_app)
    app.add_typer(evaluate_app, name="evaluate")
