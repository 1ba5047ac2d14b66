"""`arrears payments list|events`: online payments for operations (mismatches, stuck pending,
webhooks about no known payment)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity

app = typer.Typer(help="Online payments: intents, webhook events, problems.", no_args_is_help=True)

# Besides the statuses: with a problem (a mismatch), and pending with no news for too long.
VIEWS = ("problem", "stuck")
COLUMNS = (
    "intent",
    "account",
    "amount",
    "currency",
    "status",
    "provider_ref",
    "created_at",
    "updated_at",
    "payment_id",
    "problem",
)
EVENT_COLUMNS = (
    "event",
    "provider_ref",
    "type",
    "amount",
    "currency",
    "outcome",
    "occurred_at",
    "received_at",
    "detail",
)


@app.command("list")
def list_intents(
    status: str | None = typer.Option(
        None,
        "--status",
        help="created, pending, succeeded, failed, cancelled, expired; or problem (amount or "
        "currency not the intent's: not posted) or stuck (pending, no news for --stuck-minutes)",
    ),
    stuck_minutes: int = typer.Option(60, "--stuck-minutes", min=1),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Payments started online, newest first."""
    from arrears.kit.clock import clock
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.payments import repository
    from arrears.payments.states import INTENT_STATUSES

    if status is not None and status not in (*INTENT_STATUSES, *VIEWS):
        raise BadInput(f"--status: one of {', '.join((*INTENT_STATUSES, *VIEWS))} (got {status!r})")
    with unit_of_work() as session:
        identity.optional(session, user, "cycle.read")
        found = repository.list_intents(
            session,
            statuses=(status,) if status in INTENT_STATUSES else (),
            problems=status == "problem",
            stuck_before=clock.now() - timedelta(minutes=stuck_minutes)
            if status == "stuck"
            else None,
            limit=limit,
        )
        refs = repository.account_refs(session, [i.account_id for i in found])
        rows: list[dict[str, Any]] = [
            {
                "intent": i.public_id,
                "account": refs.get(i.account_id, str(i.account_id)),
                "amount": f"{i.amount:f}",
                "currency": i.currency,
                "status": i.status,
                "provider": i.provider,
                "provider_ref": i.provider_ref,
                "created_at": i.created_at.isoformat(timespec="seconds"),
                "updated_at": i.updated_at.isoformat(timespec="seconds"),
                "payment_id": i.payment_id,
                "problem": i.problem,
            }
            for i in found
        ]
    w.emit(rows, as_json, COLUMNS, title=f"payments ({len(rows)})")


@app.command("events")
def list_events(
    outcome: str | None = typer.Option(
        None, "--outcome", help="applied, ignored, mismatch, unknown_intent"
    ),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Webhook events as received, newest first (unknown_intent: the provider reported a
    payment we never started; look it up with the provider)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.payments import repository
    from arrears.payments.states import EVENT_OUTCOMES

    if outcome is not None and outcome not in EVENT_OUTCOMES:
        raise BadInput(f"--outcome: one of {', '.join(EVENT_OUTCOMES)} (got {outcome!r})")
    with unit_of_work() as session:
        identity.optional(session, user, "cycle.read")
        rows = [
            {
                "event": e.provider_event_id,
                "provider_ref": e.provider_ref,
                "type": e.type,
                "amount": None if e.amount is None else f"{e.amount:f}",
                "currency": e.currency,
                "outcome": e.outcome,
                "occurred_at": e.occurred_at.isoformat(timespec="seconds"),
                "received_at": e.received_at.isoformat(timespec="seconds"),
                "detail": e.detail,
            }
            for e in repository.list_events(
                session, outcomes=(outcome,) if outcome else (), limit=limit
            )
        ]
    w.emit(rows, as_json, EVENT_COLUMNS, title=f"payment events ({len(rows)})")
