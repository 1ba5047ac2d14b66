"""`arrears agencies`: Outside collection agencies and their contracts."""

from __future__ import annotations

import typer

app = typer.Typer(help="Outside collection agencies and their contracts.", no_args_is_help=True)
