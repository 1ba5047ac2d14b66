"""`arrears pay`: Compensation statements."""

from __future__ import annotations

import typer

app = typer.Typer(help="Compensation statements.", no_args_is_help=True)
