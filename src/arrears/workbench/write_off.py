"""Write-off of a charged-off case: the checker's approval writes the accounts off and closes
the case (``written_off``), letting go of its assignment, in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from arrears.chargeoff import service as chargeoff_service
from arrears.chargeoff.models import WriteOff
from arrears.workforce import closing


def decide(
    *,
    session: Session,
    write_off_id: int,
    approve: bool,
    actor: str,
    role: str,
    note: str | None = None,
) -> WriteOff:
    """Approve or reject a proposed write-off; an approved one closes its case."""
    decided = chargeoff_service.decide(
        session=session,
        write_off_id=write_off_id,
        approve=approve,
        actor=actor,
        role=role,
        note=note,
    )
    if decided.status == "approved":
        closing.transition(
            session=session,
            work_order_id=decided.work_order_id,
            to="closed",
            actor=actor,
            reason=f"write-off {decided.id} approved",
            close_reason="written_off",
        )
    return decided
