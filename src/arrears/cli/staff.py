"""`arrears staff`: Staff: officers, specialists, leads."""

from __future__ import annotations

import typer

app = typer.Typer(help="Staff: officers, specialists, leads.", no_args_is_help=True)
