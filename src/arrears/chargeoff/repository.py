"""Queries of the charged-off book (set-based for the cycle, one row for the workbench)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from arrears.chargeoff.models import ChargedOffAccount, Recovery, WriteOff
from arrears.kit import bulk
from arrears.kit.db import UTCDateTime
from arrears.portfolio.models import CardAccount, Cardholder

CHUNK = 10_000  # refs per IN list (SQLite allows 32,766 parameters)

# What the cycle hands over for the day's charge-offs (one row per account).
CHARGE_OFF_COLUMNS = (
    "account_ref",
    "customer_ref",
    "currency",
    "dpd",
    "charged_off_on",
    "principal",
    "interest",
    "fees",
)


def known_refs(session: Session) -> set[str]:
    """Every account already charged off (the cycle skips them: one charge-off per account)."""
    return set(session.scalars(select(ChargedOffAccount.account_ref)))


def written_off_refs(session: Session) -> list[str]:
    """Accounts written off: the cycle no longer works them (a payment there is a recovery)."""
    return list(
        session.scalars(
            select(ChargedOffAccount.account_ref)
            .where(ChargedOffAccount.status == "written_off")
            .order_by(ChargedOffAccount.account_ref)
        )
    )


def insert_charge_offs(
    session: Session, rows: list[dict[str, Any]], *, run_id: int | None, now: datetime
) -> list[dict[str, Any]]:
    """Insert the accounts not yet charged off, their card account marked off the active book.

    Returns the rows inserted (with ``total``); a rerun inserts none.
    """
    known = known_refs(session)
    fresh = [dict(r) for r in rows if r["account_ref"] not in known]
    if not fresh:
        return []
    ids: dict[str, int] = {}
    refs = [r["account_ref"] for r in fresh]
    for start in range(0, len(refs), CHUNK):  # the first run on a book may charge off many
        ids.update(
            session.execute(
                select(CardAccount.external_ref, CardAccount.id).where(
                    CardAccount.external_ref.in_(bindparam("refs", expanding=True))
                ),
                {"refs": refs[start : start + CHUNK]},
            )
            .tuples()
            .all()
        )
    for r in fresh:
        r.update(
            account_id=ids.get(r["account_ref"]),
            total=r["principal"] + r["interest"] + r["fees"],
            status="charged_off",
            run_id=run_id,
            created_at=now,
        )
    bulk.insert_rows(session, cast(Table, ChargedOffAccount.__table__), fresh)
    account_ids = [i for i in (r["account_id"] for r in fresh) if i is not None]
    for start in range(0, len(account_ids), CHUNK):
        session.execute(
            update(CardAccount)
            .where(bulk.id_in(session, CardAccount.id, account_ids[start : start + CHUNK]))
            .values(status="charged_off")
        )
    return fresh


def charged_off_of_case(session: Session, work_order_id: int) -> list[ChargedOffAccount]:
    """The charged-off, not yet written-off accounts of a case (through its account rows)."""
    return list(
        session.scalars(
            select(ChargedOffAccount)
            .where(
                ChargedOffAccount.status == "charged_off",
                ChargedOffAccount.account_ref.in_(
                    text(
                        "SELECT account_ref FROM work_order_account WHERE work_order_id = :wo"
                    ).bindparams(wo=work_order_id)
                ),
            )
            .order_by(ChargedOffAccount.account_ref)
        )
    )


def write_off(session: Session, write_off_id: int) -> WriteOff | None:
    return session.get(WriteOff, write_off_id)


def pending_write_off(session: Session, work_order_id: int) -> WriteOff | None:
    return session.scalars(
        select(WriteOff).where(
            WriteOff.work_order_id == work_order_id, WriteOff.status == "proposed"
        )
    ).first()


def mark_written_off(session: Session, *, write_off_id: int, ids: list[int], on: date) -> None:
    session.execute(
        update(ChargedOffAccount)
        .where(bulk.id_in(session, ChargedOffAccount.id, ids))
        .values(status="written_off", write_off_id=write_off_id, written_off_on=on)
    )


def post_recoveries(session: Session, *, now: datetime) -> int:
    """Record every payment received after an account's write-off as a recovery (once)."""
    return cast(
        Any,
        session.execute(
            text(
                "INSERT INTO recovery (charged_off_id, payment_id, paid_on, amount, "
                "agency_commission, legal_costs, recorded_at) "
                "SELECT c.id, p.id, p.paid_on, p.amount, 0, 0, :now "
                "FROM payment p JOIN charged_off_account c ON c.account_id = p.account_id "
                "WHERE c.status = 'written_off' AND p.paid_on > c.written_off_on "
                "AND NOT EXISTS (SELECT 1 FROM recovery r WHERE r.payment_id = p.id) "
                "ORDER BY p.id"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": now},
        ),
    ).rowcount


def book_totals(session: Session) -> dict[str, Any]:
    """Charged off, written off and recovered, in sums and counts (the analytics' figures)."""
    by_status = {
        status: (int(n), total or Decimal(0))
        for status, n, total in session.execute(
            select(
                ChargedOffAccount.status,
                func.count(),
                func.sum(ChargedOffAccount.total),
            ).group_by(ChargedOffAccount.status)
        ).all()
    }
    rec = session.execute(
        select(
            func.count(Recovery.id),
            func.sum(Recovery.amount),
            func.sum(Recovery.agency_commission),
            func.sum(Recovery.legal_costs),
        )
    ).one()
    return {
        "by_status": by_status,
        "recoveries": int(rec[0]),
        "recovered": rec[1] or Decimal(0),
        "agency_commission": rec[2] or Decimal(0),
        "legal_costs": rec[3] or Decimal(0),
    }


def recovery_payments(session: Session) -> list[Any]:
    """Each recovery's payment: (account ref, payment reference, paid on, reversed on or None,
    amount)."""
    from arrears.portfolio.models import Payment
    from arrears.workforce.models import PaymentReversal

    return list(
        session.execute(
            select(
                CardAccount.external_ref,
                Payment.reference,
                Payment.paid_on,
                PaymentReversal.reversed_on,
                Recovery.amount,
            )
            .select_from(Recovery)
            .join(Payment, Payment.id == Recovery.payment_id)
            .join(CardAccount, CardAccount.id == Payment.account_id)
            .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
            .order_by(Recovery.id)
        ).all()
    )


def legal_costs_after_write_off(session: Session) -> Decimal:
    """What the bank paid for legal action on written-off cases from the write-off on: costs
    borne by the bank on the legal case of a written-off work order, incurred on or after the
    day of the write-off (each cost once; a customer's costs go on his balance instead)."""
    from arrears.legal.models import LegalCase, LegalCost

    written = (
        select(WriteOff.work_order_id, func.min(ChargedOffAccount.written_off_on).label("on"))
        .join(ChargedOffAccount, ChargedOffAccount.write_off_id == WriteOff.id)
        .where(WriteOff.status == "approved")
        .group_by(WriteOff.work_order_id)
        .subquery()
    )
    total = session.scalar(
        select(func.sum(LegalCost.amount))
        .join(LegalCase, LegalCase.id == LegalCost.legal_case_id)
        .join(written, written.c.work_order_id == LegalCase.work_order_id)
        .where(LegalCost.borne_by == "bank", LegalCost.incurred_on >= written.c.on)
    )
    return total or Decimal(0)


def sale_rows(session: Session) -> list[Any]:
    """Written-off accounts with their cardholder, for the debt-sale file (account order)."""
    recovered = (
        select(func.coalesce(func.sum(Recovery.amount), 0))
        .where(Recovery.charged_off_id == ChargedOffAccount.id)
        .scalar_subquery()
    )
    return list(
        session.execute(
            select(
                ChargedOffAccount.account_ref,
                ChargedOffAccount.customer_ref,
                ChargedOffAccount.currency,
                ChargedOffAccount.charged_off_on,
                ChargedOffAccount.written_off_on,
                ChargedOffAccount.principal,
                ChargedOffAccount.interest,
                ChargedOffAccount.fees,
                ChargedOffAccount.total,
                recovered.label("recovered"),
                Cardholder.name,
                Cardholder.id_number,
            )
            .outerjoin(CardAccount, CardAccount.id == ChargedOffAccount.account_id)
            .outerjoin(Cardholder, Cardholder.id == CardAccount.cardholder_id)
            .where(ChargedOffAccount.status == "written_off")
            .order_by(ChargedOffAccount.account_ref)
        ).all()
    )


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.select(list(CHARGE_OFF_COLUMNS)).to_pylist()
