"""`arrears training`: Courses, completions, mentors."""

from __future__ import annotations

import typer

app = typer.Typer(help="Courses, completions, mentors.", no_args_is_help=True)
