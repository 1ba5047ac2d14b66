"""Options and output helpers shared by the `arrears cases` commands (cases, contacts,
promises modules)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import typer

from arrears.cli.output import console, print_json
from arrears.kit import wording
from arrears.kit.dates import parse_day
from arrears.kit.errors import BadInput

JSON = typer.Option(False, "--json", help="Print JSON for machines.")
LOCALE = typer.Option(
    None, "--locale", help="en or zh-CN: the language compliance reasons are written in."
)


def reader_locale(value: str | None, fallback: str | None = None) -> str:
    """The language to write reasons in: ``--locale``, else ``fallback`` (the acting user's),
    else ``ARREARS_LOCALE``; anything else is bad input."""
    from arrears.config import get_settings
    from arrears.vocabulary import LOCALES

    chosen = value or fallback or get_settings().locale
    if chosen not in LOCALES:
        raise BadInput(f"--locale must be one of {', '.join(LOCALES)}, got {chosen!r}")
    return chosen


def required_day(value: str, option: str) -> date:
    day = parse_day(value, option)
    if day is None:
        raise BadInput(f"{option} is required")
    return day


def when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"{option}: not an ISO 8601 time: {value!r}") from exc
    if at.tzinfo is None:
        raise BadInput(f"{option} needs a UTC offset, e.g. 2026-03-02T10:00:00+08:00")
    return at


def show(payload: Any, as_json: bool, line: Callable[[], str]) -> None:
    """A command's result: JSON for machines, else the one line ``line`` renders, as text (a
    script or a name holding ``[...]`` is printed whole, not read as markup)."""
    if as_json:
        print_json(payload)
    else:
        console.print(line(), markup=False, highlight=False)


def show_summary(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(payload)
        return
    console.print(
        f"case [bold]{payload['id']}[/bold] {payload['customer_ref']}: {payload['status']}"
        f"{' (' + payload['close_reason'] + ')' if payload.get('close_reason') else ''} · "
        f"{payload['bucket']} dpd {payload['dpd']} · due "
        f"{wording.amount(payload['amount_due'], payload['currency'])} "
        f"{payload['currency']} · {payload['level']} / {payload['queue']} · v{payload['version']}"
    )
