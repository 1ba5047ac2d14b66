"""What every command shares: the console, JSON output and progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # error lines stay whole for grep


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(payload: Any) -> str:
    """JSON with Decimals as strings and dates as ISO 8601."""
    return json.dumps(payload, default=_default, ensure_ascii=False, indent=2)


def print_json(payload: Any) -> None:
    """Plain JSON on stdout (no Rich markup, so machines can parse it)."""
    print(to_json(payload))


@contextmanager
def progress(*, quiet: bool = False) -> Iterator[Progress]:
    """A Rich progress display on stderr; ``quiet`` (e.g. under ``--json``) hides it."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=quiet,
    )
    with bar:
        yield bar
