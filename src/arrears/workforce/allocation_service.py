"""Allocation against the store: the bulk run over every live work order, and a team lead's
single-case reassignment under the same eligibility rules. Keyword-only, flush never commit,
return schemas; every change audited. The rules themselves are pure (``allocation_pass``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.dates import not_after_today
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.workforce import allocation as al
from arrears.workforce import repository as repo
from arrears.workforce import schemas, staff_service
from arrears.workforce.allocation_pass import allocate_table
from arrears.workforce.allocation_tables import (
    CaseColumns,
    build_tables,
    effective_level,
    eligibility,
)
from arrears.workforce.models import Assignment, Staff
from arrears.workforce.policies import allocation_rules, training_policy
from arrears.workforce.training import TrainingPolicy, trained_levels

ACTOR = "system"


def allocate(
    *,
    session: Session,
    as_of: date,
    actor: str = ACTOR,
    rules: al.AllocationRules | None = None,
    policy: TrainingPolicy | None = None,
) -> schemas.AllocationSummary:
    """Allocate every live work order (bulk). Running it twice changes nothing the second time.
    A day after the center's today is refused (``RuleRefused``, nothing written), whoever asks."""
    not_after_today(as_of, "the allocation's as-of date")
    rules = rules or allocation_rules()
    policy = policy or training_policy()
    # The nightly workforce run: mentorships follow probation before the cases are dealt.
    staff_service.review_mentorships(
        session=session, day=as_of, actor=actor, policy=policy, days=rules.probation_days
    )
    now = clock.now()
    work_orders = repo.live_work_orders(session)
    live = repo.live_assignments(session)
    recalled = repo.recalled_from(session)
    passed = repo.passed_courses(session)
    with_plan = repo.plan_work_orders(session)
    members = repo.allocatable_staff(session)
    contract_rows = repo.list_contracts(session)

    staff_in = [
        al.StaffIn(
            id=m.id,
            grade=m.grade,
            capacity=m.capacity,
            levels=frozenset(m.levels),
            trained_levels=trained_levels(passed.get(m.id, set()), policy),
            languages=frozenset(m.languages),
            regions=frozenset(m.regions),
            status=status_on(m, as_of),
            new_hire=in_probation(m, as_of, rules),
        )
        for m in members
    ]
    contracts_in = []
    for c, agency in contract_rows:
        end = c.end_date
        if agency.status != "active":  # a suspended agency is treated as a contract that ended
            end = min(end or as_of, as_of - timedelta(days=1))
            end = max(end, c.start_date - timedelta(days=1))
        contracts_in.append(
            al.ContractIn(
                id=c.id,
                agency_id=c.agency_id,
                buckets=frozenset(c.buckets),
                levels=frozenset(c.levels),
                start=c.start_date,
                end=end,
                recall_on_cure=c.recall_on_cure,
                recall_on_contract_end=c.recall_on_contract_end,
                recall_after_days=c.recall_after_days,
                capacity=c.max_placements,
            )
        )
    # Columns straight from the query rows: no per-case objects on the way in or out.
    current = [live.get(w.id) for w in work_orders]
    columns = CaseColumns(
        id=[w.id for w in work_orders],
        level=[w.level for w in work_orders],
        bucket=[w.bucket for w in work_orders],
        balance_cents=[int(w.balance * 100) for w in work_orders],  # Money is quantized to cents
        language=[w.language for w in work_orders],
        region=[w.province for w in work_orders],
        problem_customer=[bool(w.problem_customer) for w in work_orders],
        escalated=[w.status == "escalated" or w.escalated_at is not None for w in work_orders],
        staff_id=[c.staff_id if c is not None else None for c in current],
        assigned_level=[c.level if c is not None and c.staff_id else None for c in current],
        contract_id=[c.contract_id if c is not None else None for c in current],
        placed_on=[c.as_of if c is not None and c.contract_id else None for c in current],
        recalled_from_agency=[recalled.get(w.id) for w in work_orders],
        pinned=[w.status == "on_hold" or w.id in with_plan for w in work_orders],
    )
    case_table, staff_table = build_tables(columns, staff_in, contracts_in, as_of=as_of)
    result = allocate_table(case_table, staff_table, contracts_in, rules=rules, as_of=as_of)
    eff = effective_level(case_table, rules)

    # Index -1 (none) lands on the sentinel at the end of each lookup array.
    staff_ids = np.asarray([m.id for m in members] + [-1], dtype=np.int64)
    contract_ids = np.asarray([c.id for c in contracts_in] + [-1], dtype=np.int64)
    agency_ids = np.asarray([c.agency_id for c in contracts_in] + [-1], dtype=np.int64)
    new_staff = staff_ids[result.staff]
    new_contract = contract_ids[result.contract]
    new_agency = agency_ids[result.contract]
    cur_staff = np.asarray([-1 if v is None else v for v in columns.staff_id], dtype=np.int64)
    cur_contract = np.asarray([-1 if v is None else v for v in columns.contract_id], dtype=np.int64)
    changed = (new_staff != cur_staff) | (new_contract != cur_contract)

    texts: dict[tuple[int, int, str | None, str | None], str] = {}

    def detail(k: int) -> str:
        key = (int(result.reason[k]), int(eff[k]), columns.language[k], columns.region[k])
        if key not in texts:
            texts[key] = al.explain(
                key[0], al.CASE_LEVELS[key[1]], rules, language=key[2], region=key[3]
            )
        return texts[key]

    to_end: dict[str, list[int]] = defaultdict(list)
    to_insert: list[dict[str, Any]] = []
    for k in np.flatnonzero(changed).tolist():
        reason = al.REASONS[int(result.reason[k])]
        cur = current[k]
        if cur is not None:
            # A recall ends the placement as a recall even when no collector then takes the
            # case: ``recalled_from`` reads it so the agency is not given the case back.
            recall = int(result.recall[k])
            to_end[al.REASONS[recall] if recall >= 0 else reason].append(cur.id)
        if new_staff[k] >= 0 or new_agency[k] >= 0:
            to_insert.append(
                {
                    "work_order_id": columns.id[k],
                    "staff_id": int(new_staff[k]) if new_staff[k] >= 0 else None,
                    "agency_id": int(new_agency[k]) if new_agency[k] >= 0 else None,
                    "contract_id": int(new_contract[k]) if new_contract[k] >= 0 else None,
                    "level": columns.level[k],
                    "reason": reason,
                    "detail": detail(k),
                    "as_of": as_of,
                    "assigned_at": now,
                }
            )
    # Status moves: one legal move of the case state machine per case, each audited.
    to_status: dict[str, list[int]] = defaultdict(list)
    transitions: list[dict[str, Any]] = []
    to_staff, to_agency = (new_staff >= 0).tolist(), (new_agency >= 0).tolist()
    for k, w in enumerate(work_orders):
        status = al.status_after(w.status, to_staff=to_staff[k], to_agency=to_agency[k])
        if status != w.status:
            to_status[status].append(w.id)
            transitions.append(
                {
                    "actor": actor,
                    "action": "work_order.transition",
                    "entity": "work_order",
                    "entity_id": str(w.id),
                    "before": {"status": w.status},
                    "after": {"status": status},
                    "reason": f"allocation {as_of}: {al.REASONS[int(result.reason[k])]}",
                }
            )
    repo.end_assignments(session, to_end, now)
    session.flush()
    repo.insert_assignments(session, to_insert)
    repo.set_work_order_status(session, to_status, now)
    audit.record_many(session, transitions)
    codes, n = np.unique(result.reason, return_counts=True)
    counts = {al.REASONS[int(c)]: int(x) for c, x in zip(codes, n, strict=True)}
    audit.record(
        session,
        actor=actor,
        action="allocation.run",
        entity="allocation",
        entity_id=as_of.isoformat(),
        after={
            "cases": len(work_orders),
            "changed": int(changed.sum()),
            "reasons": dict(sorted(counts.items())),
            "status_changes": {key: len(v) for key, v in to_status.items()},
        },
    )
    session.flush()
    stuck = np.flatnonzero(np.isin(result.reason, al.UNALLOCATABLE))
    return schemas.AllocationSummary(
        as_of=as_of,
        cases=len(work_orders),
        changed=int(changed.sum()),
        reasons=dict(sorted(counts.items())),
        assigned_to_staff=int((new_staff >= 0).sum()),
        placed_with_agencies=int((new_agency >= 0).sum()),
        unallocatable=int(stuck.size),
        unallocatable_examples=[
            {
                "work_order_id": columns.id[k],
                "reason": al.REASONS[int(result.reason[k])],
                "detail": detail(k),
            }
            for k in stuck[:10].tolist()
        ],
        unassigned_reasons={
            columns.id[k]: al.REASONS[int(result.reason[k])] for k in stuck.tolist()
        },
        load=_load_by_grade(
            members, result.staff, case_table.balance, staff_table.load, staff_table.status
        ),
    )


def status_on(member: Staff, day: date) -> str:
    """A person's status for allocating ``day``: not yet hired counts as unavailable (no cases
    before the hire date, also on a back-dated run), left from the leave date on."""
    if member.left_on is not None and member.left_on <= day:
        return "left"
    if member.hire_date > day:
        return "on_leave"
    return member.status


def in_probation(member: Staff, day: date, rules: al.AllocationRules) -> bool:
    """Within the allocation policy's probation period from the hire date."""
    return al.in_probation(member.hire_date, day, rules.probation.days)


# --- single-case reassignment (team lead) --------------------------------------------------------


def _why_ineligible(
    member: Staff, level: str, trained: frozenset[str], case: Any, rules: al.AllocationRules
) -> str:
    """Plain words for a refusal the allocator's ``eligibility`` already decided."""
    if member.status != "active":
        return f"{member.code} is {member.status}"
    if member.grade not in rules.level_grades[level]:
        return f"grade {member.grade} may not work {level} cases"
    if level in al.STAFF_LEVELS and level not in member.levels:
        return f"{member.code} is not cleared for {level} cases"
    if level in al.STAFF_LEVELS and level not in trained:
        return f"{member.code} has not passed the training for {level} cases"
    if rules.match_language and case.language and case.language not in member.languages:
        return f"{member.code} does not speak {case.language}" + (
            " (nor, with nobody else to take it, a language of its family)"
            if rules.match_language_family
            else ""
        )
    return f"{member.code} does not cover region {case.province}"


def reassign(
    *,
    session: Session,
    work_order_id: int,
    to_staff: str,
    reason: str,
    actor: str = ACTOR,
    within_team_of: int | None = None,
    rules: al.AllocationRules | None = None,
    policy: TrainingPolicy | None = None,
) -> schemas.Reassignment:
    """Move one live case to another active collector, under the allocator's own eligibility
    rules and the target's capacity. ``within_team_of`` (a staff id) limits the target to that
    person's team: a team lead moves cases inside their team only."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("reason: say why the case is reassigned")
    rules = rules or allocation_rules()
    policy = policy or training_policy()
    case = repo.work_order_for_reassign(session, work_order_id)
    if case is None:
        raise NotFound(f"no case {work_order_id}")
    member = repo.staff_by_code(session, to_staff)
    if member is None or member.employment_type == "agency":
        raise NotFound(f"no collector {to_staff!r}")
    if case.status == "closed":
        raise Conflict(f"case {work_order_id} is closed")
    current = repo.live_assignment_of(session, work_order_id)
    if case.status == "placed" or (current is not None and current.agency_id is not None):
        raise Conflict(f"case {work_order_id} is placed with an agency; recall it first")
    if current is not None and current.staff_id == member.id:
        raise RuleRefused(f"{member.code} already holds case {work_order_id}")
    if within_team_of is not None:
        lead = repo.staff_by_id(session, within_team_of)
        if lead is None or lead.team_id is None or member.team_id != lead.team_id:
            raise RuleRefused(f"{member.code} is not in your team")

    # The allocator's own rules, on a one-case, one-person table.
    trained = trained_levels(repo.passed_courses(session, member.id).get(member.id, set()), policy)
    today = clock.today()
    case_table, staff_table = build_tables(
        [
            al.CaseIn(
                id=case.id,
                level=case.level,
                bucket=case.bucket,
                balance_cents=int(case.balance * 100),
                language=case.language,
                region=case.province,
                problem_customer=bool(case.problem_customer),
                escalated=case.status == "escalated" or case.escalated_at is not None,
            )
        ],
        [
            al.StaffIn(
                id=member.id,
                grade=member.grade,
                capacity=member.capacity,
                levels=frozenset(member.levels),
                trained_levels=trained,
                languages=frozenset(member.languages),
                regions=frozenset(member.regions),
                status=member.status,
            )
        ],
        [],
        as_of=today,
    )
    level_idx = int(effective_level(case_table, rules)[0])
    ok = eligibility(
        level_idx, int(case_table.language[0]), int(case_table.region[0]), staff_table, rules
    )
    level = al.CASE_LEVELS[level_idx]
    if not bool(ok[0]):
        why = _why_ineligible(member, level, trained, case, rules)
        raise RuleRefused(f"{member.code} may not take case {work_order_id}: {why}")
    held = repo.live_count_of(session, member.id)
    if held + 1 > member.capacity:
        raise RuleRefused(f"{member.code} is at capacity ({held} of {member.capacity} open cases)")

    now = clock.now()
    before: dict[str, Any] = {"staff_id": None, "staff": None, "assignment_id": None}
    if current is not None:
        previous = repo.staff_by_id(session, current.staff_id) if current.staff_id else None
        before = {
            "staff_id": current.staff_id,
            "staff": previous.code if previous else None,
            "assignment_id": current.id,
        }
        current.ended_at = now
        current.ended_reason = "reassigned"
        session.flush()  # the live-assignment index allows one live row per case
    row = Assignment(
        work_order_id=case.id,
        staff_id=member.id,
        level=case.level,
        reason="reassigned",
        detail=f"reassigned by {actor}: {reason}",
        as_of=today,
        assigned_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # someone else moved the case in the meantime
        raise Conflict(f"case {work_order_id} was just reassigned by someone else") from exc
    status = al.status_after(case.status, to_staff=True, to_agency=False)
    if status != case.status:
        repo.set_work_order_status(session, {status: [case.id]}, now)
        audit.record(
            session,
            actor=actor,
            action="work_order.transition",
            entity="work_order",
            entity_id=case.id,
            before={"status": case.status},
            after={"status": status},
            reason=f"reassigned to {member.code}",
        )
    audit.record(
        session,
        actor=actor,
        action="case.reassign",
        entity="work_order",
        entity_id=case.id,
        before=before,
        after={"staff_id": member.id, "staff": member.code, "assignment_id": row.id},
        reason=reason,
    )
    session.flush()
    return schemas.Reassignment(
        work_order_id=case.id,
        from_staff=before["staff"],
        to_staff=member.code,
        level=case.level,
        reason=reason,
        assignment_id=row.id,
        to_staff_open_cases=held + 1,
        to_staff_capacity=member.capacity,
    )


def _load_by_grade(
    members: list[Staff],
    rows: npt.NDArray[np.int64],
    balances: npt.NDArray[np.int64],
    held: Any,
    status: npt.NDArray[np.int64],
) -> dict[str, dict[str, object]]:
    """Per grade, over collectors active on the run's day (hired, not left, not on leave):
    min/max/mean open cases and min/max balance held."""
    m = len(members)
    taken = rows >= 0
    counts = np.bincount(rows[taken], minlength=m)[:m] + np.asarray(held)
    money = np.zeros(m, dtype=np.int64)
    np.add.at(money, rows[taken], balances[taken])
    out: dict[str, dict[str, object]] = {}
    for grade in al.GRADES:
        idx = [i for i, s in enumerate(members) if s.grade == grade and status[i] == 0]
        if not idx:
            continue
        c, b = counts[idx], money[idx]
        out[grade] = {
            "staff": len(idx),
            "cases_min": int(c.min()),
            "cases_max": int(c.max()),
            "cases_mean": round(float(c.mean()), 1),
            "balance_min": Decimal(int(b.min())).scaleb(-2),
            "balance_max": Decimal(int(b.max())).scaleb(-2),
        }
    return out
