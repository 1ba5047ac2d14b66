"""`arrears account`: Look at one account."""

from __future__ import annotations

import typer

app = typer.Typer(help="Look at one account.", no_args_is_help=True)
