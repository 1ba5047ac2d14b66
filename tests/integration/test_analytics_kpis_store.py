"""Collector KPIs read from the operational store (SQLite and PostgreSQL), recomputed apart."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.compliance.models import ComplianceCheck
from arrears.contacts.models import ContactAttempt
from arrears.contacts.vocabulary import OUTCOMES, RIGHT_PARTY_OUTCOMES
from arrears.portfolio.models import Cardholder
from arrears.promises.models import Promise

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COLLECTORS = ("amy", "bo")


def _arrange(session: Session) -> dict[str, list[Any]]:
    rng = random.Random(8)
    holder = Cardholder(external_ref="C1", name="Wang Fang", created_at=T0)
    session.add(holder)
    session.flush()
    order = WorkOrder(
        cardholder_id=holder.id,
        customer_ref="C1",
        bucket="M2",
        level="junior",
        queue="early",
        opened_on=T0.date(),
        created_at=T0,
        updated_at=T0,
    )
    session.add(order)
    session.flush()
    attempts, checks, promises = [], [], []
    for i in range(60):
        blocked = rng.random() < 0.15
        outcome = None if blocked else rng.choice(OUTCOMES)
        attempt = ContactAttempt(
            work_order_id=order.id,
            cardholder_id=holder.id,
            at=T0 + timedelta(hours=i),
            collector=rng.choice(COLLECTORS),
            channel="call",
            party=rng.choice(("debtor", "debtor", "contact_person")),
            status="blocked" if blocked else "made",
            outcome=outcome,
            compliance_allowed=not blocked,
            created_at=T0,
        )
        attempts.append(attempt)
    for i in range(12):
        overridden = i % 3 == 0
        checks.append(
            ComplianceCheck(
                at=T0 + timedelta(hours=i),
                action_at=T0 + timedelta(hours=i),
                profile="cn-card",
                # As the contact flow records it: the collector reference is "bank" (or
                # "agency:N"); the actor is the collector who attempted the contact.
                collector="bank",
                actor=rng.choice(COLLECTORS),
                person_ref="C1",
                channel="call",
                proposed={},
                allowed=False,
                rules=["quiet_hours"],
                reason="quiet hours",
                overridden_by="officer" if overridden else None,
                override_reason="customer asked for an evening call" if overridden else None,
            )
        )
    for _ in range(10):
        status = rng.choice(("pending", "kept", "broken", "partially_kept", "cancelled"))
        paid = {"kept": Decimal("300.00"), "partially_kept": Decimal("120.50")}.get(
            status, Decimal(0)
        )
        promises.append(
            Promise(
                work_order_id=order.id,
                amount=Decimal("300.00"),
                currency="CNY",
                due_on=date(2026, 11, 10),
                made_on=date(2026, 11, 2),
                channel="call",
                status=status,
                paid=paid,
                taken_by=rng.choice(COLLECTORS),
                created_at=T0,
                updated_at=T0,
            )
        )
    session.add_all(attempts + checks + promises)
    session.commit()
    return {"attempts": attempts, "checks": checks, "promises": promises}


def test_kpis_from_the_store_match_a_count_of_the_rows(session: Session, cli: Any) -> None:
    rows = _arrange(session)
    result = cli("report", "kpis", "--json")
    assert result.exit_code == 0, result.stderr
    by_collector = {r["collector"]: r for r in json.loads(result.stdout)}
    for who in COLLECTORS:
        made = [a for a in rows["attempts"] if a.collector == who and a.status == "made"]
        rpc = [a for a in made if a.party == "debtor" and a.outcome in RIGHT_PARTY_OUTCOMES]
        ptp = [a for a in made if a.outcome == "promise_to_pay"]
        mine = [p for p in rows["promises"] if p.taken_by == who]
        kept = sum(1 for p in mine if p.status == "kept")
        judged = sum(1 for p in mine if p.status in ("kept", "broken", "partially_kept"))
        row = by_collector[who]
        assert row["attempts"] == len(made)
        assert row["right_party_contacts"] == len(rpc)
        assert row["rpc_rate"] == (round(len(rpc) / len(made), 4) if made else None)
        assert row["promises"] == max(len(ptp), len(mine))
        assert row["promises_kept"] == kept
        assert row["promise_kept_rate"] == (round(kept / judged, 4) if judged else None)
        assert Decimal(row["recovered"]) == sum((p.paid for p in mine), Decimal(0))
        assert row["compliance_blocks"] == sum(
            1 for a in rows["attempts"] if a.collector == who and a.status == "blocked"
        )
        assert row["compliance_overrides"] == sum(
            1 for c in rows["checks"] if c.actor == who and c.overridden_by
        )
    total = by_collector["(all)"]
    assert total["attempts"] == sum(1 for a in rows["attempts"] if a.status == "made")


def test_kpis_window_and_bad_dates(session: Session, cli: Any) -> None:
    _arrange(session)
    later = cli("report", "kpis", "--json", "--since", "2026-12-01")
    assert later.exit_code == 0, later.stderr
    assert json.loads(later.stdout) == []
    bad = cli("report", "kpis", "--since", "yesterday")
    assert bad.exit_code == 2
    assert "--since" in bad.stderr
    assert "Traceback" not in bad.stderr
