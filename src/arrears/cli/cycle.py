"""`arrears cycle`: The daily cycle: age, price, segment, score, decide, sync."""

from __future__ import annotations

import typer

app = typer.Typer(help="The daily cycle: age, price, segment, score, decide, sync.", no_args_is_help=True)
