"""`arrears promotion`: Promotion eligibility."""

from __future__ import annotations

import typer

app = typer.Typer(help="Promotion eligibility.", no_args_is_help=True)
