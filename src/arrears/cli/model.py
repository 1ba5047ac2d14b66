"""`arrears model`: The propensity model: train, evaluate."""

from __future__ import annotations

import typer

app = typer.Typer(help="The propensity model: train, evaluate.", no_args_is_help=True)
