"""`arrears import`: Load data: the real UCI card data or the bank's own extract."""

from __future__ import annotations

import typer

app = typer.Typer(help="Load data: the real UCI card data or the bank's own extract.", no_args_is_help=True)
