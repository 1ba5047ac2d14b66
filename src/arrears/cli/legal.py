"""`arrears legal`: legal cases on work orders (seniors and leads: permission ``legal.work``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity

app = typer.Typer(
    help="Legal actions: stages, costs, documents, the legal queue.", no_args_is_help=True
)

COLUMNS = ("id", "work_order_id", "stage", "court", "reference", "hearing_on", "version")
PERMISSION = "legal.work"


@app.command("open")
def open_(
    case: int = typer.Argument(..., help="Work order id."),
    court: str | None = typer.Option(None, "--court"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Start the pre-litigation review of a case."""
    from arrears.kit.db import unit_of_work
    from arrears.legal import service

    with unit_of_work() as session:
        by = identity.require(session, user, PERMISSION).actor
        out = service.as_dict(
            service.open_case(session=session, work_order_id=case, actor=by, court=court)
        )
    w.emit(out, as_json, COLUMNS)


@app.command("move")
def move(
    legal_case: int = typer.Argument(..., help="Legal case id."),
    stage: str = typer.Argument(..., help="filed, hearing, judgment, enforcement, closed"),
    court: str | None = typer.Option(None, "--court"),
    reference: str | None = typer.Option(None, "--reference", help="The court's case number."),
    hearing_on: str | None = typer.Option(None, "--hearing-on"),
    outcome: str | None = typer.Option(None, "--outcome"),
    version: int | None = typer.Option(None, "--version", help="Refuse if changed meanwhile."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Move a legal case to its next stage (the work order is held from filing to closing)."""
    from arrears.kit.db import unit_of_work
    from arrears.legal import service

    with unit_of_work() as session:
        by = identity.require(session, user, PERMISSION).actor
        out = service.as_dict(
            service.move(
                session=session,
                legal_case_id=legal_case,
                to=stage,
                actor=by,
                court=court,
                reference=reference,
                hearing_on=w.day(hearing_on, "--hearing-on"),
                outcome=outcome,
                expected_version=version,
            )
        )
    w.emit(out, as_json, COLUMNS)


@app.command("cost")
def cost(
    legal_case: int = typer.Argument(..., help="Legal case id."),
    kind: str = typer.Option(..., "--kind", help="court_fee, lawyer_fee, enforcement_fee, ..."),
    amount: str = typer.Option(..., "--amount"),
    borne_by: str = typer.Option(..., "--borne-by", help="bank or customer"),
    note: str | None = typer.Option(None, "--note"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Record a cost of the case and who bears it (dated today)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.legal import service

    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise BadInput(f"--amount: not a number: {amount!r}") from None
    with unit_of_work() as session:
        by = identity.require(session, user, PERMISSION).actor
        c = service.add_cost(
            session=session,
            legal_case_id=legal_case,
            kind=kind,
            amount=value,
            borne_by=borne_by,
            actor=by,
            note=note,
        )
        line = service.cost_line(session=session, legal_case_id=legal_case)
        out = {
            "kind": c.kind,
            "amount": c.amount,
            "borne_by": c.borne_by,
            "incurred_on": c.incurred_on,
            "on_balance": line.amount,
        }
    w.emit(out, as_json, tuple(out))


@app.command("document")
def document(
    legal_case: int = typer.Argument(..., help="Legal case id."),
    kind: str = typer.Option(..., "--kind", help="A letter kind (cn-card, ...) or a court paper."),
    title: str = typer.Option(..., "--title"),
    file: Path | None = typer.Option(None, "--file", dir_okay=False),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Attach a document (a printed letter, a court paper); a file is fingerprinted."""
    from arrears.kit.db import unit_of_work
    from arrears.legal import service

    with unit_of_work() as session:
        by = identity.require(session, user, PERMISSION).actor
        d = service.attach_document(
            session=session, legal_case_id=legal_case, kind=kind, title=title, actor=by, path=file
        )
        out = {"id": d.id, "kind": d.kind, "title": d.title, "sha256": d.sha256}
    w.emit(out, as_json, tuple(out))


@app.command("queue")
def queue(user: identity.AsUser = None, as_json: bool = w.JSON) -> None:
    """Open legal cases, nearest hearing first."""
    from arrears.kit.db import unit_of_work
    from arrears.legal import service

    with unit_of_work() as session:
        identity.require(session, user, PERMISSION)
        rows = service.queue(session=session)
    w.emit(
        rows,
        as_json,
        (
            "id",
            "work_order_id",
            "customer_ref",
            "stage",
            "hearing_on",
            "court",
            "costs",
            "case_status",
        ),
    )
