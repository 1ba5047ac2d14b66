"""The nightly promise stage: every pending promise and active plan marked against payments.

Runs as the daily cycle's first stage and on demand (`arrears cases reconcile`, the API).

Set-based: the payments of every case with a pending promise or an active plan are matched to
its promises and plan instalments in SQL (``promises/matching.py``). The verdicts that changed
tonight are then written together (rows loaded by id in a few queries, one flush); if that
write fails on a row, each case is written in its own savepoint instead: the failing case is
skipped and logged, and the rest of the night stands. Case statuses move only through the state
machine (``cases/states.py``, via ``cases/batch.py``). Keyword-only; flush, never commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from arrears.cases import batch as case_batch
from arrears.cases import service as case_service
from arrears.cases.models import FollowUp, WorkOrder
from arrears.cases.states import plan_move
from arrears.kit import audit, bulk, dates
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import ArrearsError, Conflict
from arrears.promises import matching, repository
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan
from arrears.promises.policy import PromisePolicy
from arrears.promises.service import plan_summary, policy, promise_dict

log = logging.getLogger(__name__)

# --- writing the night's verdicts --------------------------------------------------------------


@dataclass
class CaseResult:
    changed: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)


def _chunks(ids: Sequence[int], size: int = 5_000) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _lock(query: Any, lock: bool) -> Any:
    # On PostgreSQL rows another transaction holds are left out (SKIP LOCKED), not waited for.
    return query.with_for_update(skip_locked=True) if lock else query


def _load(session: Session, model: Any, ids: Sequence[int], lock: bool) -> dict[int, Any]:
    """ORM rows by id in a few queries (the plans: a handful a night, audited as summaries)."""
    found: dict[int, Any] = {}
    for chunk in _chunks(ids):
        query = _lock(select(model).where(model.id.in_(chunk)), lock)
        found.update({row.id: row for row in session.scalars(query)})
    return found


def _rows(session: Session, table: Table, ids: Sequence[int], lock: bool) -> dict[int, Row[Any]]:
    """Plain rows by id (no ORM object each: a night may settle 100k promises)."""
    found: dict[int, Row[Any]] = {}
    for chunk in _chunks(ids):
        query = _lock(select(table).where(bulk.id_in(session, table.c.id, chunk)), lock)
        found.update({row.id: row for row in session.execute(query)})
    return found


def _write(
    session: Session,
    *,
    changes: dict[int, matching.CaseChanges],
    as_of: date,
    actor: str,
    rules: PromisePolicy,
) -> tuple[dict[int, CaseResult], list[int]]:
    """Write the verdicts of ``changes`` set-based; returns each case's result and the cases
    left out because another transaction holds them (PostgreSQL ``SKIP LOCKED``).

    Promises, cases and instalments by one executemany UPDATE per shape (version-checked), the
    follow-ups by one INSERT, every audit event by one INSERT; plans through the ORM (a few a
    night). Case statuses move by the state machine; follow-ups are dated from the as-of date."""
    lock = session.get_bind().dialect.name == "postgresql"
    cases = _rows(session, _table(WorkOrder), list(changes), lock)
    promises = _rows(
        session,
        _table(Promise),
        [v.promise_id for c in changes.values() for v in c.promises],
        lock,
    )
    plans = _load(
        session,
        RepaymentPlan,
        sorted(
            {p.plan_id for c in changes.values() for p in c.plans}
            | {i.plan_id for c in changes.values() for i in c.instalments}
        ),
        lock,
    )
    items = _rows(
        session,
        _table(PlanInstalment),
        [i.instalment_id for c in changes.values() for i in c.instalments],
        lock,
    )
    held = sorted(
        wo_id
        for wo_id, c in changes.items()
        if wo_id not in cases
        or any(v.promise_id not in promises for v in c.promises)
        or any(i.instalment_id not in items or i.plan_id not in plans for i in c.instalments)
        or any(p.plan_id not in plans for p in c.plans)
    )
    now = clock.now()
    follow_up_on = as_of + timedelta(days=rules.promise.follow_up_days)
    results: dict[int, CaseResult] = {}
    events: list[dict[str, Any]] = []
    promise_rows: list[dict[str, Any]] = []
    case_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []

    def follow_up(wo_id: int, due_on: date, kind: str, note: str, source: str) -> date:
        tasks.append(
            case_batch.follow_up_values(
                work_order_id=wo_id, due_on=due_on, kind=kind, actor=actor, note=note,
                source=source, not_before=as_of,
            )
        )  # fmt: skip
        return due_on

    for wo_id, change in sorted(changes.items()):
        if wo_id in held:
            continue
        wo = cases[wo_id]
        result = results[wo_id] = CaseResult()
        newly: dict[str, int] = defaultdict(int)
        due_dates: list[date] = []
        for verdict in change.promises:
            promise = promises[verdict.promise_id]
            if promise.status != "pending":
                continue  # a final verdict stands (or it was cancelled meanwhile)
            promise_rows.append(
                {"row_id": promise.id, "row_version": promise.version, "status": verdict.status,
                 "paid": verdict.paid, "settled_on": verdict.settled_on, "updated_at": now}
            )  # fmt: skip
            events.append(
                {"actor": actor, "action": "promise.reconcile", "entity": "promise",
                 "entity_id": str(promise.id),
                 "before": {"status": promise.status, "paid": f"{promise.paid:f}"},
                 "after": {"status": verdict.status, "paid": f"{verdict.paid:f}"},
                 "reason": f"reconciled as of {as_of.isoformat()}"}
            )  # fmt: skip
            result.changed.append({"promise_id": promise.id, "status": verdict.status})
            newly[verdict.status] += 1
            if verdict.status in ("broken", "partially_kept"):
                note = (
                    f"promise {promise.id} {verdict.status.replace('_', ' ')}: "
                    f"{verdict.paid} of {promise.amount} paid"
                )
                due_dates.append(
                    follow_up(wo_id, follow_up_on, "broken_promise", note, f"promise:{promise.id}")
                )
        for item in change.instalments:
            item_rows.append({"row_id": item.instalment_id, "status": item.status,
                              "paid": item.paid})  # fmt: skip
        for tracked in change.plans:
            plan = plans[tracked.plan_id]
            before_plan = plan_summary(plan)
            plan.status, plan.missed, plan.updated_at = tracked.status, tracked.missed, now
            events.append(
                {"actor": actor, "action": "plan.track", "entity": "repayment_plan",
                 "entity_id": str(plan.id), "before": before_plan,
                 "after": {**plan_summary(plan), "version": plan.version + 1},
                 "reason": f"tracked as of {as_of.isoformat()}"}
            )  # fmt: skip
            if plan.status == "broken":
                note = f"plan {plan.id} broken after {plan.missed} missed instalments"
                due_dates.append(
                    follow_up(wo_id, as_of + timedelta(days=1), "plan_missed", note,
                              f"plan:{plan.id}")
                )  # fmt: skip
        values: dict[str, Any] = {}
        if newly["broken"]:
            values["broken_promises"] = wo.broken_promises + newly["broken"]
            events.append(
                {"actor": actor, "action": "work_order.broken_promises", "entity": "work_order",
                 "entity_id": str(wo.id), "before": {"broken_promises": wo.broken_promises},
                 "after": {"broken_promises": values["broken_promises"]}}
            )  # fmt: skip
        # The case follows its promises by the state machine. A partial payment with nothing
        # left pending: no longer "promised", and never "kept"; it does not count as a broken
        # promise for the strategy.
        to, why = None, ""
        if newly["broken"]:
            to, why = "broken", "promise broken"
        elif newly["partially_kept"] and not change.pending_left:
            to, why = "broken", "promise partially kept"
        elif newly["kept"] and not change.pending_left:
            to, why = "kept", "promise kept"
        if to and case_batch.legal(wo, to):
            values.update(case_batch.move_values(plan_move(wo.status, to), extra=wo.extra))
            before = case_batch.snapshot(wo)
            after = {**before, **{k: values[k] for k in ("status", "close_reason", "hold_reason")},
                     "version": wo.version + 1}  # fmt: skip
            events.append(
                {"actor": actor, "action": "work_order.transition", "entity": "work_order",
                 "entity_id": str(wo.id), "before": before, "after": after, "reason": why}
            )  # fmt: skip
        soonest = min(due_dates, default=None)
        if soonest and (wo.next_action_on is None or soonest < wo.next_action_on):
            values["next_action_on"] = soonest
        if values:
            case_rows.append({"row_id": wo.id, "row_version": wo.version, **values,
                              "updated_at": now})  # fmt: skip
    bulk.update_rows(session, _table(Promise), promise_rows)
    bulk.update_rows(session, _table(WorkOrder), case_rows)
    bulk.update_rows(session, _table(PlanInstalment), item_rows)
    session.flush()  # the plans
    if tasks:
        ids = session.scalars(
            insert(_table(FollowUp)).returning(_table(FollowUp).c.id, sort_by_parameter_order=True),
            tasks,
        ).all()
        events.extend(
            case_batch.follow_up_event(task_id=i, values=t, actor=actor)
            for i, t in zip(ids, tasks, strict=True)
        )
    audit.record_many(session, events)
    for wo_id, change in changes.items():
        if wo_id in results:
            touched = {i.plan_id for i in change.instalments} | {p.plan_id for p in change.plans}
            results[wo_id].plans = [plan_summary(plans[pid]) for pid in sorted(touched)]
    # ORM objects of these rows loaded earlier in the session are stale now.
    session.expire_all()
    return results, held


# --- the entry points --------------------------------------------------------------------------


def reconcile_all(*, session: Session, actor: str, as_of: date | None = None) -> dict[str, int]:
    """Reconcile every case with a pending promise or an active plan.

    The night's verdicts are written together in a savepoint. If that write fails on some
    row, it is rolled back and each case is written in its own savepoint: a case that fails
    is skipped (logged, counted as ``skipped``) and reconciled again the next night; the others
    stand. On PostgreSQL a case another transaction holds right now is skipped the same way."""
    as_of = dates.not_after_today(as_of or center_today(), "the reconciliation's as-of date")
    rules = policy()
    session.flush()
    cases = matching.match(session, as_of=as_of, rules=rules)
    changes = matching.changes(session)
    matching.drop(session)
    counts = {"cases": cases, "kept": 0, "partially_kept": 0, "broken": 0, "skipped": 0}
    written: dict[int, CaseResult] = {}
    skipped: dict[int, str] = {}
    try:
        with session.begin_nested():
            written, held = _write(session, changes=changes, as_of=as_of, actor=actor, rules=rules)
        skipped.update({wo_id: "held by another transaction" for wo_id in held})
    except (ArrearsError, SQLAlchemyError):
        session.expire_all()
        for wo_id in sorted(changes):
            try:
                with session.begin_nested():
                    one, held = _write(
                        session,
                        changes={wo_id: changes[wo_id]},
                        as_of=as_of,
                        actor=actor,
                        rules=rules,
                    )
            except (ArrearsError, SQLAlchemyError) as exc:
                skipped[wo_id] = str(getattr(exc, "message", exc)).splitlines()[0]
                session.expire_all()
                continue
            written.update(one)
            skipped.update({held_id: "held by another transaction" for held_id in held})
    for wo_id, why in sorted(skipped.items()):
        log.warning(
            "promise stage as of %s: case %s skipped, left for the next night: %s",
            as_of,
            wo_id,
            why,
        )
    counts["skipped"] = len(skipped)
    for result in written.values():
        for change in result.changed:
            if change["status"] in counts:
                counts[change["status"]] += 1
    return counts


def reconcile_case(
    *, session: Session, work_order_id: int, actor: str, as_of: date | None = None
) -> dict[str, Any]:
    """Mark one case's promises and plan instalments against its accounts' payments (the same
    stage, for one case; a failure is the caller's, a case held elsewhere a ``Conflict``)."""
    as_of = dates.not_after_today(as_of or center_today(), "the reconciliation's as-of date")
    wo = case_service.get(session=session, work_order_id=work_order_id)
    rules = policy()
    session.flush()
    matching.match(session, as_of=as_of, rules=rules, work_order_id=wo.id)
    changes = matching.changes(session).get(wo.id, matching.CaseChanges())
    matching.drop(session)
    results, held = _write(session, changes={wo.id: changes}, as_of=as_of, actor=actor, rules=rules)
    if held:
        raise Conflict(f"case {wo.id} is being changed by someone else: try again")
    result = results.get(wo.id, CaseResult())
    promises = [p for p in repository.promises_of(session, wo.id) if p.status != "cancelled"]
    return {
        "work_order_id": wo.id,
        "as_of": as_of,
        "status": wo.status,
        "promises": [promise_dict(p) for p in promises],
        "changed": result.changed,
        "plans": result.plans,
    }
