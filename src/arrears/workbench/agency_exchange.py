"""The daily files exchanged with an agency: placements and recalls out (only the contract's
fields, masked where it says, with a manifest), the agency's contacts and payments in. What
comes in goes the in-house way: each contact through compliance and the workbench's contact
log (``contact.log_attempt``, as a late entry of the agency), each payment into ``payment``
where the promise stage reconciles it with the case's promises on its next night.
Keyword-only, flush never commit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.contacts.schemas import ContactIn
from arrears.kit import audit
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import center_today
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.portfolio.models import CardAccount, Cardholder, Payment, Phone
from arrears.workbench import contact
from arrears.workforce import closing, exchange
from arrears.workforce import repository as workforce_repo
from arrears.workforce.models import Agency, AgencyContract, Assignment


def _agency(session: Session, code: str) -> Agency:
    found = workforce_repo.agency_by_code(session, code)
    if found is None:
        raise NotFound(f"no agency {code!r}")
    return found


def _records(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    """One record per account of each work order (the agency collects by account)."""
    out = []
    for assignment, wo, holder in rows:
        phone = session.scalar(
            sa.select(Phone.number).where(Phone.cardholder_id == holder.id).order_by(Phone.id)
        )
        for acc in session.scalars(
            sa.select(WorkOrderAccount)
            .where(WorkOrderAccount.work_order_id == wo.id)
            .order_by(WorkOrderAccount.id)
        ):
            out.append(
                {
                    "contract_id": assignment.contract_id,
                    "account_ref": acc.account_ref,
                    "customer_ref": wo.customer_ref,
                    "name": holder.name,
                    "id_number": holder.id_number,
                    "phone": phone,
                    "address": holder.address,
                    "bucket": acc.bucket,
                    "dpd": acc.dpd,
                    "balance": wo.balance,
                    "amount_due": acc.amount_due,
                    "placed_on": assignment.as_of,
                }
            )
    return out


def export_day(*, session: Session, agency: str, day: date, out: Path) -> dict[str, int]:
    """Write the day's placement and recall files and their manifest; returns rows per file."""
    found = _agency(session, agency)
    if day > center_today():
        raise BadInput(f"--day: {day} is in the future")
    base = (
        sa.select(Assignment, WorkOrder, Cardholder)
        .join(WorkOrder, WorkOrder.id == Assignment.work_order_id)
        .join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)
        .where(Assignment.agency_id == found.id)
        .order_by(Assignment.id)
    )
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    placed = session.execute(base.where(Assignment.as_of == day)).tuples().all()
    recalled = (
        session.execute(
            base.where(
                # A case closed while placed (cured, paid, settled) is taken back too: without
                # it in the recall file the agency would keep working a closed case.
                sa.or_(
                    Assignment.ended_reason.like("recalled%"),
                    Assignment.ended_reason == closing.ENDED_REASON,
                ),
                Assignment.ended_at >= start,
                Assignment.ended_at < start + timedelta(days=1),
            )
        )
        .tuples()
        .all()
    )
    contracts = {c.id: c for c in workforce_repo.contracts_of(session, found.id)}
    files: dict[str, bytes] = {}
    for kind, rows in (("placements", placed), ("recalls", recalled)):
        records = _records(session, list(rows))
        # Each contract says what its cases may show; one file per kind keeps the widest
        # contract's columns and leaves the others' cells empty.
        fields: list[str] = []
        shown: list[dict[str, Any]] = []
        for record in records:
            c: AgencyContract = contracts[record["contract_id"]]
            allowed = list(c.exchange_fields or exchange.DEFAULT_FIELDS)
            fields += [f for f in allowed if f not in fields]
            shown += exchange.rows_for([record], allowed, list(c.masked_fields or []))
        files[f"{kind}-{found.code}-{day.isoformat()}.csv"] = exchange.to_csv(
            fields or list(exchange.DEFAULT_FIELDS), shown
        )
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    (out / exchange.MANIFEST).write_bytes(exchange.manifest(files))
    return {name: max(data.count(b"\n") - 1, 0) for name, data in files.items()}


def import_activity(
    *, session: Session, agency: str, directory: Path, actor: str
) -> dict[str, int]:
    """The agency's contacts and payments, checked whole before anything is written: the
    manifest's checksums, every row, and every account placed with this agency."""
    found = _agency(session, agency)
    files = exchange.read_delivery(directory, (exchange.ACTIVITY, exchange.PAYMENTS))
    fingerprint = exchange.sha256(files[exchange.ACTIVITY] + files[exchange.PAYMENTS])
    done = session.scalars(
        sa.select(AuditEvent.after).where(
            AuditEvent.action == "agency.activity_import", AuditEvent.entity_id == str(found.id)
        )
    )
    if any((a or {}).get("sha256") == fingerprint for a in done):
        # Contacts are events: the same file twice would log every contact twice.
        raise RuleRefused(f"{directory}: this delivery of {found.code} was already imported")
    contacts = exchange.parse(exchange.ACTIVITY, files[exchange.ACTIVITY], exchange.ActivityRow)
    payments = exchange.parse(exchange.PAYMENTS, files[exchange.PAYMENTS], exchange.PaymentRow)
    refs = sorted({r.account_ref for r in contacts + payments})
    held = {
        ref: (wo_id, account_id)
        for ref, wo_id, account_id in session.execute(
            sa.select(WorkOrderAccount.account_ref, Assignment.work_order_id, CardAccount.id)
            .join(Assignment, Assignment.work_order_id == WorkOrderAccount.work_order_id)
            .outerjoin(CardAccount, CardAccount.external_ref == WorkOrderAccount.account_ref)
            .where(Assignment.agency_id == found.id, WorkOrderAccount.account_ref.in_(refs))
        )
    }
    unknown = [r for r in refs if r not in held]
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise BadInput(f"accounts not placed with {found.code}: {shown}")
    today = center_today()
    for p in payments:
        if p.paid_on > today:
            raise BadInput(
                f"{exchange.PAYMENTS}: {p.reference}: paid_on {p.paid_on} is in the future"
            )
        if held[p.account_ref][1] is None:
            raise BadInput(f"{exchange.PAYMENTS}: account {p.account_ref} is not in the portfolio")
    written = {"contacts": 0, "blocked": 0, "payments": 0, "duplicates": 0}
    for c in sorted(contacts, key=lambda r: r.made_at):
        attempt = contact.log_attempt(
            session=session,
            work_order_id=held[c.account_ref][0],
            body=ContactIn(
                channel=c.channel,
                party=c.party,
                outcome=c.outcome,
                notes=c.notes,
                made_at=c.made_at,
            ),
            actor=actor,
            collector=found.code,
        )
        written["contacts" if attempt.compliance_allowed else "blocked"] += 1
    for p in payments:
        account_id = held[p.account_ref][1]
        exists = session.scalar(
            sa.select(Payment.id).where(
                Payment.account_id == account_id, Payment.reference == p.reference
            )
        )
        if exists is not None:  # the same file again, or the bank's feed had it first
            written["duplicates"] += 1
            continue
        session.add(
            Payment(
                account_id=account_id,
                paid_on=p.paid_on,
                amount=p.amount,
                channel="agency",
                reference=p.reference,
            )
        )
        written["payments"] += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agency.activity_import",
        entity="agency",
        entity_id=found.id,
        after={**written, "sha256": fingerprint},
    )
    return written
