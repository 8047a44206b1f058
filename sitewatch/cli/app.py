"""The ``sitewatch`` Typer application that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sitewatch",
    help="Watch construction-site cameras for hard-hat and out-of-hours violations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure the model and the whole pipeline on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
