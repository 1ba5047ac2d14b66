"""`arrears compliance`: The compliance engine: check a scenario, report blocks and overrides."""

from __future__ import annotations

import typer

app = typer.Typer(help="The compliance engine: check a scenario, report blocks and overrides.", no_args_is_help=True)
