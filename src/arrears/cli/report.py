"""`arrears report`: Analytics reports: roll rates, recovery, KPIs, champion/challenger."""

from __future__ import annotations

import typer

app = typer.Typer(help="Analytics reports: roll rates, recovery, KPIs, champion/challenger.", no_args_is_help=True)
