"""`arrears cases`: Work orders: state, contacts, promises, plans."""

from __future__ import annotations

import typer

app = typer.Typer(help="Work orders: state, contacts, promises, plans.", no_args_is_help=True)
