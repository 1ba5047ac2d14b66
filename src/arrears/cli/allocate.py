"""`arrears allocate`: Allocate work orders to staff and agencies."""

from __future__ import annotations

import typer

app = typer.Typer(help="Allocate work orders to staff and agencies.", no_args_is_help=True)
