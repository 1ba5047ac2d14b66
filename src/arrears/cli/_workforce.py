"""Helpers shared by the workforce command groups (staff, agencies, allocate, training, pay,
promotion)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from arrears.cli import output
from arrears.cli.output import console, print_json
from arrears.kit.dates import parse_day
from arrears.kit.errors import BadInput

JSON = typer.Option(False, "--json", help="Print JSON for machines.")
day = parse_day


def required_day(value: str | None, option: str) -> date:
    parsed = day(value, option)
    if parsed is None:
        raise BadInput(f"{option} is required")
    return parsed


def split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def build(model: type[BaseModel], **fields: Any) -> Any:
    """Validate CLI input with the service's schema; the error names the option."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--" + ".".join(str(p) for p in first["loc"]).replace("_", "-")
        message = first["msg"].removeprefix("Value error, ")  # pydantic's wrapper, not ours
        raise BadInput(f"{option}: {message}") from None


def emit(payload: Any, as_json: bool, columns: Sequence[str], title: str | None = None) -> None:
    """JSON on request, else a Rich table of ``columns`` for one record or a list."""
    if as_json:
        print_json(payload)
        return
    rows = payload if isinstance(payload, list) else [payload]
    table = output.table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        data = row.model_dump() if isinstance(row, BaseModel) else row
        table.add_row(*[_cell(data.get(c)) for c in columns])
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(v) for v in value)
    return str(value)


def statement_table(title: str, lines: Sequence[Any], total: Any) -> None:
    """A pay or commission statement: every line, then the total (the sum of the lines)."""
    table = output.table(title=title)
    table.add_column("line")
    table.add_column("amount", justify="right")
    table.add_column("how")
    for line in lines:
        table.add_row(line.label, "" if line.amount is None else f"{line.amount:,.2f}", line.note)
    table.add_row("[bold]total[/bold]", f"[bold]{total:,.2f}[/bold]", "")
    console.print(table)
