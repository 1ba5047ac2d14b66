"""Set-based writes (``kit/bulk.py``) on a real store: the same rows as the ORM would write,
a row changed since it was read fails the whole write and changes nothing, None stays SQL NULL
(JSON columns too), and ``id_in`` finds the same rows as an IN list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit import bulk
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import Conflict
from tests.integration.test_cases_workflow import MORNING, seed

CASES = cast(sa.Table, WorkOrder.__table__)
EVENTS = cast(sa.Table, AuditEvent.__table__)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def _cases(session: Session, n: int) -> list[WorkOrder]:
    ids = [seed(session, ref=f"BULK{i}") for i in range(n)]
    session.commit()
    return [session.get_one(WorkOrder, i) for i in ids]


def test_update_rows_writes_each_row_by_id_and_bumps_the_version(session: Session) -> None:
    cases = _cases(session, 3)
    rows: list[dict[str, Any]] = [
        {"row_id": c.id, "row_version": c.version, "broken_promises": k + 1, "notes": None}
        for k, c in enumerate(cases)
    ]
    before = {c.id: c.version for c in cases}
    bulk.update_rows(session, CASES, rows)
    session.commit()
    session.expire_all()
    for k, c in enumerate(cases):
        fresh = session.get_one(WorkOrder, c.id)
        assert (fresh.broken_promises, fresh.notes, fresh.version) == (
            k + 1,
            None,
            before[c.id] + 1,
        )


def test_a_row_changed_since_it_was_read_fails_the_write_and_changes_nothing(
    session: Session,
) -> None:
    first, second = _cases(session, 2)
    stale = second.version
    second.notes = "edited meanwhile"
    session.commit()
    rows = [
        {"row_id": first.id, "row_version": first.version, "broken_promises": 7},
        {"row_id": second.id, "row_version": stale, "broken_promises": 7},
    ]
    with (
        pytest.raises(Conflict, match="1 work_order rows changed meanwhile"),
        session.begin_nested(),
    ):
        bulk.update_rows(session, CASES, rows)
    session.commit()
    session.expire_all()
    assert [session.get_one(WorkOrder, c.id).broken_promises for c in (first, second)] == [0, 0]


def test_insert_rows_keeps_none_as_sql_null_and_json_as_json(session: Session) -> None:
    now = clock.now()
    rows: list[dict[str, Any]] = [
        {"at": now, "actor": "t", "action": "bulk.test", "entity": "x", "entity_id": "1",
         "before": None, "after": {"n": 1, "say": "说明"}, "reason": None},
        {"at": now, "actor": "t", "action": "bulk.test", "entity": "x", "entity_id": "2",
         "before": {"n": 0}, "after": None, "reason": "why"},
    ]  # fmt: skip
    bulk.insert_rows(session, EVENTS, rows)
    session.commit()
    found = session.execute(
        sa.select(EVENTS.c.entity_id, EVENTS.c.before, EVENTS.c.after, EVENTS.c.reason)
        .where(EVENTS.c.action == "bulk.test")
        .order_by(EVENTS.c.entity_id)
    ).all()
    assert [tuple(r) for r in found] == [
        ("1", None, {"n": 1, "say": "说明"}, None),
        ("2", {"n": 0}, None, "why"),
    ]
    nulls = session.scalar(
        sa.select(sa.func.count())
        .select_from(EVENTS)
        .where(EVENTS.c.action == "bulk.test", EVENTS.c.before.is_(None))
    )
    assert nulls == 1  # SQL NULL, not the JSON text 'null'


def test_id_in_finds_the_same_rows_as_an_in_list(session: Session) -> None:
    cases = _cases(session, 4)
    wanted = [cases[0].id, cases[2].id, 10**12]
    found = session.scalars(
        sa.select(WorkOrder.id).where(bulk.id_in(session, WorkOrder.id, wanted))
    ).all()
    assert sorted(found) == sorted(wanted[:2])
