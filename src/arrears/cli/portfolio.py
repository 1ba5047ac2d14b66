"""`arrears portfolio`: The portfolio: generate, summarise."""

from __future__ import annotations

import typer

app = typer.Typer(help="The portfolio: generate, summarise.", no_args_is_help=True)
