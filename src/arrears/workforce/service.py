"""Workforce operations. Keyword-only, flush never commit, return schemas; every change audited."""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound
from arrears.kit.money import round_money
from arrears.workforce import allocation as al
from arrears.workforce import repository as repo
from arrears.workforce import schemas
from arrears.workforce.compensation import Payee, PayPlan, month_statement, year_statement
from arrears.workforce.metrics import MonthMetrics
from arrears.workforce.models import (
    Agency,
    AgencyContract,
    Assignment,
    Staff,
    StaffMetricMonth,
    Team,
    TrainingCompletion,
)
from arrears.workforce.policies import load
from arrears.workforce.promotion import Candidate, PromotionPolicy, TrackResult, window
from arrears.workforce.promotion import report as promotion_report_rows
from arrears.workforce.training import (
    MentorCandidate,
    TrainingPolicy,
    missing_for,
    pick_mentor,
    trained_levels,
)

ACTOR = "system"


def allocation_rules(name: str = "allocation") -> al.AllocationRules:
    return load(al.AllocationRules, "policies", name)


def training_policy(name: str = "training") -> TrainingPolicy:
    return load(TrainingPolicy, "policies", name)


def promotion_policy(name: str = "promotion") -> PromotionPolicy:
    return load(PromotionPolicy, "policies", name)


def pay_plan(name: str = "default") -> PayPlan:
    return load(PayPlan, "plans", name)


# --- staff ---------------------------------------------------------------------------------------


def _staff_out(
    session: Session,
    member: Staff,
    *,
    policy: TrainingPolicy | None = None,
    maps: tuple[dict[int, str], dict[int, str], dict[int, str]] | None = None,
    passed: dict[int, set[str]] | None = None,
    open_cases: dict[int, int] | None = None,
) -> schemas.Staff:
    policy = policy or training_policy()
    teams, agencies, codes = maps or repo.code_maps(session)
    passed = passed if passed is not None else repo.passed_courses(session, member.id)
    counts = open_cases if open_cases is not None else repo.open_case_counts(session)
    return schemas.Staff(
        id=member.id,
        code=member.code,
        name=member.name,
        employment_type=member.employment_type,
        grade=member.grade,
        team=teams.get(member.team_id) if member.team_id else None,
        agency=agencies.get(member.agency_id) if member.agency_id else None,
        levels=list(member.levels),
        trained_levels=sorted(
            trained_levels(passed.get(member.id, set()), policy), key=al.STAFF_LEVELS.index
        ),
        languages=list(member.languages),
        regions=list(member.regions),
        capacity=member.capacity,
        open_cases=counts.get(member.id, 0),
        hire_date=member.hire_date,
        status=member.status,
        left_on=member.left_on,
        mentor=codes.get(member.mentor_id) if member.mentor_id else None,
        version=member.version,
    )


def _snapshot(member: Staff) -> dict[str, Any]:
    return {
        "grade": member.grade,
        "employment_type": member.employment_type,
        "team_id": member.team_id,
        "levels": list(member.levels),
        "languages": list(member.languages),
        "regions": list(member.regions),
        "capacity": member.capacity,
        "status": member.status,
        "mentor_id": member.mentor_id,
    }


def _team(session: Session, code: str | None) -> Team | None:
    if not code:
        return None
    team = repo.team_by_code(session, code)
    if team is None:
        team = Team(code=code, name=code, created_at=clock.now())
        session.add(team)
        session.flush()
    return team


def get_staff(*, session: Session, code: str) -> schemas.Staff:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    return _staff_out(session, member)


def list_staff(
    *, session: Session, status: str | None = None, grade: str | None = None
) -> list[schemas.Staff]:
    policy = training_policy()
    maps = repo.code_maps(session)
    passed = repo.passed_courses(session)
    counts = repo.open_case_counts(session)
    return [
        _staff_out(session, m, policy=policy, maps=maps, passed=passed, open_cases=counts)
        for m in repo.list_staff(session, status=status, grade=grade)
    ]


def add_staff(
    *, session: Session, data: schemas.StaffCreate, actor: str = ACTOR, mentor: bool = True
) -> schemas.Staff:
    """Add a person; a new hire of a mentee grade gets the least-loaded senior as mentor."""
    if repo.staff_by_code(session, data.code) is not None:
        raise Conflict(f"staff member {data.code!r} already exists")
    agency_id = None
    if data.employment_type == "agency":
        if not data.agency:
            raise BadInput("agency users need --agency (the agency's code)")
        agency = repo.agency_by_code(session, data.agency)
        if agency is None:
            raise NotFound(f"no agency {data.agency!r}")
        agency_id = agency.id
    elif data.agency:
        raise BadInput("only staff of employment type 'agency' belong to an agency")
    team = _team(session, data.team)
    now = clock.now()
    member = Staff(
        code=data.code,
        name=data.name,
        employment_type=data.employment_type,
        grade=data.grade,
        team_id=team.id if team else None,
        agency_id=agency_id,
        levels=list(data.levels),
        languages=list(data.languages),
        regions=list(data.regions),
        capacity=data.capacity,
        hire_date=data.hire_date,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.add",
        entity="staff",
        entity_id=member.id,
        after={"code": member.code, **_snapshot(member)},
    )
    policy = training_policy()
    if mentor and data.employment_type != "agency" and data.grade in policy.mentoring.mentee_grades:
        _assign_mentor(session, member, policy=policy, actor=actor)
    return _staff_out(session, member, policy=policy)


def update_staff(
    *, session: Session, code: str, changes: schemas.StaffUpdate, actor: str = ACTOR
) -> schemas.Staff:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if member.status == "left":
        raise BadInput(f"{code} has left; nothing to update")
    before = _snapshot(member)
    # An explicit null only means something for the team (leave it); elsewhere it is "no change".
    fields = {
        k: v
        for k, v in changes.model_dump(exclude_unset=True).items()
        if v is not None or k == "team"
    }
    if "team" in fields:
        team = _team(session, fields.pop("team"))
        member.team_id = team.id if team else None
    for key, value in fields.items():
        setattr(member, key, value)
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.update",
        entity="staff",
        entity_id=member.id,
        before=before,
        after=_snapshot(member),
    )
    return _staff_out(session, member)


def leave(*, session: Session, code: str, on: date, actor: str = ACTOR) -> schemas.Staff:
    """Mark someone as left. Their mentees get new mentors now; their cases move at the next
    allocation run (reason ``assignee_left``)."""
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if member.status == "left":
        raise BadInput(f"{code} already left on {member.left_on}")
    before = _snapshot(member)
    member.status = "left"
    member.left_on = on
    member.mentor_id = None
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.leave",
        entity="staff",
        entity_id=member.id,
        before=before,
        after=_snapshot(member),
    )
    policy = training_policy()
    for mentee in repo.mentees_of(session, member.id):
        mentee.mentor_id = None
        session.flush()
        _assign_mentor(session, mentee, policy=policy, actor=actor, exclude=member.id)
    return _staff_out(session, member, policy=policy)


STAFF_CSV_COLUMNS = (
    "code",
    "name",
    "employment_type",
    "grade",
    "team",
    "agency",
    "levels",
    "languages",
    "regions",
    "capacity",
    "hire_date",
)


def import_staff(*, session: Session, path: Path, actor: str = ACTOR) -> int:
    """Load a roster CSV (list columns separated by ``;``). Any bad row rejects the whole file,
    and the error names the row and the column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [
                c
                for c in ("code", "name", "employment_type", "grade", "capacity", "hire_date")
                if c not in (reader.fieldnames or [])
            ]
            if missing:
                raise BadInput(f"{path.name}: missing columns {missing}")
            rows = list(reader)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    parsed: list[schemas.StaffCreate] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        raw: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
        for key in ("levels", "languages", "regions"):
            if key in raw:
                raw[key] = [v.strip() for v in raw[key].split(";") if v.strip()]
        for key in ("team", "agency"):
            if key in raw and not raw[key]:
                raw[key] = None
        raw = {k: v for k, v in raw.items() if k in STAFF_CSV_COLUMNS}
        try:
            item = schemas.StaffCreate.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"])
            raise BadInput(f"{path.name} row {number}, column {column}: {first['msg']}") from None
        if item.code in seen:
            raise BadInput(f"{path.name} row {number}, column code: duplicate {item.code!r}")
        seen.add(item.code)
        parsed.append(item)
    clash = repo.existing_codes(session, [p.code for p in parsed])
    if clash:
        raise Conflict(f"{path.name}: staff already exist: {', '.join(sorted(clash)[:5])}")
    # Seniors first so that new officers in the same file can be given mentors.
    order = sorted(parsed, key=lambda p: p.grade == "collection_officer")
    for item in order:
        add_staff(session=session, data=item, actor=actor)
    return len(parsed)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美兰霞平刚桂英玲建国志红梅鹏辉宇浩凯亮晨晓"


def seed_roster(
    *,
    session: Session,
    officers: int = 40,
    seniors: int = 8,
    leads: int = 2,
    seed: int = 7,
    agencies: int = 1,
    hire_before: date | None = None,
    actor: str = ACTOR,
) -> schemas.SeedSummary:
    """A deterministic demo roster with teams, training records and mentors.

    Codes are ``L###`` / ``S###`` / ``O####``; existing codes are skipped, so seeding is
    idempotent. Most officers have passed every course; one in five is a recent hire who has
    passed only the junior gate and gets a mentor. Each demo agency gets a contract for
    outsource-level work in M4-M7+ and one agency user.
    """
    rng = random.Random(seed)
    today = hire_before or clock.today()
    policy = training_policy()
    courses = list(policy.courses)
    junior_gate = list(policy.gates.get("junior", ()))

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    plan: list[tuple[schemas.StaffCreate, list[str]]] = []
    team_codes = [f"T{i + 1:02d}" for i in range(max(leads, 1))]
    for i in range(leads):
        plan.append(
            (
                schemas.StaffCreate(
                    code=f"L{i + 1:03d}",
                    name=name(),
                    employment_type="establishment",
                    grade="team_lead",
                    team=team_codes[i],
                    levels=list(al.STAFF_LEVELS),
                    capacity=50,
                    hire_date=today - timedelta(days=rng.randint(2000, 4000)),
                ),
                courses,
            )
        )
    for i in range(seniors):
        plan.append(
            (
                schemas.StaffCreate(
                    code=f"S{i + 1:03d}",
                    name=name(),
                    employment_type="establishment",
                    grade="senior_collection_specialist",
                    team=team_codes[i % len(team_codes)],
                    levels=["junior", "intermediate", "advanced"]
                    + (["legal"] if i % 3 == 0 else []),
                    languages=["zh-CN", "en"] if i % 4 == 0 else ["zh-CN"],
                    capacity=120,
                    hire_date=today - timedelta(days=rng.randint(1100, 3600)),
                ),
                courses,
            )
        )
    for i in range(officers):
        recent = i % 5 == 4
        plan.append(
            (
                schemas.StaffCreate(
                    code=f"O{i + 1:04d}",
                    name=name(),
                    employment_type="labor_dispatch" if i % 6 else "establishment",
                    grade="collection_officer",
                    team=team_codes[i % len(team_codes)],
                    levels=["junior", "intermediate"],
                    languages=["zh-CN", "en"] if i % 10 == 0 else ["zh-CN"],
                    capacity=200,
                    hire_date=today
                    - timedelta(days=rng.randint(20, 80) if recent else rng.randint(200, 1500)),
                ),
                junior_gate if recent else courses,
            )
        )
    existing = repo.existing_codes(session, [p.code for p, _ in plan])
    created = mentors = 0
    teams_before = {code for code in team_codes if repo.team_by_code(session, code)}
    for data, passed in plan:
        if data.code in existing:
            continue
        out = add_staff(session=session, data=data, actor=actor, mentor=False)
        for course in passed:
            pass_mark = policy.courses[course].pass_score
            score = min(Decimal(100), pass_mark + rng.randint(0, 20))
            session.add(
                TrainingCompletion(
                    staff_id=out.id,
                    course=course,
                    completed_on=max(data.hire_date + timedelta(days=14), data.hire_date),
                    score=score,
                    passed=True,
                    recorded_at=clock.now(),
                )
            )
        created += 1
    session.flush()
    # Mentors once every senior exists: recent hires first.
    for data, _ in plan:
        if data.code in existing or data.grade not in policy.mentoring.mentee_grades:
            continue
        if (today - data.hire_date).days > 180:
            continue
        member = repo.staff_by_code(session, data.code)
        if member is not None and _assign_mentor(session, member, policy=policy, actor=actor):
            mentors += 1
    agencies_added = 0
    for i in range(agencies):
        code = f"AG{i + 1:02d}"
        if repo.agency_by_code(session, code) is not None:
            continue
        add_agency(
            session=session,
            data=schemas.AgencyCreate(code=code, name=f"Demo collection agency {i + 1}"),
            actor=actor,
        )
        add_contract(
            session=session,
            data=schemas.AgencyContractCreate(
                agency=code,
                code=f"{code}-C1",
                buckets=["M4", "M5", "M6", "M7+"],
                levels=["outsource"],
                commission_pct=Decimal("18.00"),
                start_date=today - timedelta(days=365),
                end_date=today + timedelta(days=365),
                recall_after_days=90,
            ),
            actor=actor,
        )
        add_staff(
            session=session,
            data=schemas.StaffCreate(
                code=f"{code}-U1",
                name=name(),
                employment_type="agency",
                grade="collection_officer",
                agency=code,
                capacity=0,
                hire_date=today - timedelta(days=365),
            ),
            actor=actor,
        )
        agencies_added += 1
    return schemas.SeedSummary(
        agencies=agencies_added,
        created=created,
        skipped=len(existing),
        teams=len(set(team_codes) - teams_before),
        mentors_assigned=mentors,
    )


# --- agencies ------------------------------------------------------------------------------------


def add_agency(
    *, session: Session, data: schemas.AgencyCreate, actor: str = ACTOR
) -> schemas.Agency:
    if repo.agency_by_code(session, data.code) is not None:
        raise Conflict(f"agency {data.code!r} already exists")
    agency = Agency(code=data.code, name=data.name, status="active", created_at=clock.now())
    session.add(agency)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agency.add",
        entity="agency",
        entity_id=agency.id,
        after={"code": agency.code, "name": agency.name},
    )
    return schemas.Agency(
        id=agency.id,
        code=agency.code,
        name=agency.name,
        status=agency.status,
        placements=0,
        users=0,
    )


def list_agencies(*, session: Session) -> list[schemas.Agency]:
    placements, users = repo.agency_counts(session)
    return [
        schemas.Agency(
            id=a.id,
            code=a.code,
            name=a.name,
            status=a.status,
            placements=placements.get(a.id, 0),
            users=users.get(a.id, 0),
        )
        for a in repo.list_agencies(session)
    ]


def _contract_out(contract: AgencyContract, agency: Agency) -> schemas.AgencyContract:
    return schemas.AgencyContract(
        id=contract.id,
        agency=agency.code,
        code=contract.code,
        buckets=list(contract.buckets),
        levels=list(contract.levels),
        commission_pct=contract.commission_pct,
        start_date=contract.start_date,
        end_date=contract.end_date,
        recall_on_cure=contract.recall_on_cure,
        recall_on_contract_end=contract.recall_on_contract_end,
        recall_after_days=contract.recall_after_days,
        max_placements=contract.max_placements,
    )


def add_contract(
    *, session: Session, data: schemas.AgencyContractCreate, actor: str = ACTOR
) -> schemas.AgencyContract:
    agency = repo.agency_by_code(session, data.agency)
    if agency is None:
        raise NotFound(f"no agency {data.agency!r}")
    if repo.contract_by_code(session, data.code) is not None:
        raise Conflict(f"contract {data.code!r} already exists")
    if data.end_date is not None and data.end_date < data.start_date:
        raise BadInput("end_date: before start_date")
    unknown = [lv for lv in data.levels if lv not in al.CASE_LEVELS]
    if unknown:
        raise BadInput(f"levels: unknown {unknown}; expected {list(al.CASE_LEVELS)}")
    contract = AgencyContract(
        agency_id=agency.id,
        code=data.code,
        buckets=list(data.buckets),
        levels=list(data.levels),
        commission_pct=data.commission_pct,
        start_date=data.start_date,
        end_date=data.end_date,
        recall_on_cure=data.recall_on_cure,
        recall_on_contract_end=data.recall_on_contract_end,
        recall_after_days=data.recall_after_days,
        max_placements=data.max_placements,
        created_at=clock.now(),
    )
    session.add(contract)
    session.flush()
    out = _contract_out(contract, agency)
    audit.record(
        session,
        actor=actor,
        action="agency.contract",
        entity="agency_contract",
        entity_id=contract.id,
        after=out.model_dump(mode="json"),
    )
    return out


def end_contract(
    *, session: Session, code: str, on: date, actor: str = ACTOR
) -> schemas.AgencyContract:
    contract = repo.contract_by_code(session, code)
    if contract is None:
        raise NotFound(f"no contract {code!r}")
    if on < contract.start_date:
        raise BadInput("end date before the contract's start")
    before = contract.end_date
    contract.end_date = on
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agency.contract_end",
        entity="agency_contract",
        entity_id=contract.id,
        before={"end_date": before.isoformat() if before else None},
        after={"end_date": on.isoformat()},
    )
    agency = session.get(Agency, contract.agency_id)
    assert agency is not None
    return _contract_out(contract, agency)


def list_contracts(*, session: Session) -> list[schemas.AgencyContract]:
    return [_contract_out(c, a) for c, a in repo.list_contracts(session)]


# --- allocation ----------------------------------------------------------------------------------


def allocate(
    *,
    session: Session,
    as_of: date,
    actor: str = ACTOR,
    rules: al.AllocationRules | None = None,
    policy: TrainingPolicy | None = None,
) -> schemas.AllocationSummary:
    """Allocate every live work order (bulk). Running it twice changes nothing the second time."""
    rules = rules or allocation_rules()
    policy = policy or training_policy()
    now = clock.now()
    work_orders = repo.live_work_orders(session)
    live = repo.live_assignments(session)
    recalled = repo.recalled_from(session)
    passed = repo.passed_courses(session)
    held = repo.held_load(session)
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
            status=m.status,
            load=held.get(m.id, 0),
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
    columns = al.CaseColumns(
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
    )
    case_table, staff_table = al.build_tables(columns, staff_in, contracts_in, as_of=as_of)
    result = al.allocate_table(case_table, staff_table, contracts_in, rules=rules, as_of=as_of)
    eff = al.effective_level(case_table, rules)

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
    to_status: dict[str, list[int]] = defaultdict(list)
    to_staff, to_agency = (new_staff >= 0).tolist(), (new_agency >= 0).tolist()
    for k, w in enumerate(work_orders):
        status = _status_after(w.status, to_staff=to_staff[k], to_agency=to_agency[k])
        if status != w.status:
            to_status[status].append(w.id)
    repo.end_assignments(session, to_end, now)
    session.flush()
    repo.insert_assignments(session, to_insert)
    repo.set_work_order_status(session, to_status, now)
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
        load=_load_by_grade(members, result.staff, case_table.balance, staff_table.load),
    )


def _status_after(status: str, *, to_staff: bool, to_agency: bool) -> str:
    """Work-order status that reflects the allocation, without undoing the collector's progress."""
    if to_agency:
        return "placed"
    if to_staff:
        # Recalled from an agency (placed -> open -> assigned) or freshly opened.
        return "assigned" if status in ("open", "placed") else status
    return "open" if status in ("assigned", "placed") else status


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
        raise BadInput(f"{member.code} already holds case {work_order_id}")
    if within_team_of is not None:
        lead = repo.staff_by_id(session, within_team_of)
        if lead is None or lead.team_id is None or member.team_id != lead.team_id:
            raise BadInput(f"{member.code} is not in your team")

    # The allocator's own rules, on a one-case, one-person table.
    trained = trained_levels(repo.passed_courses(session, member.id).get(member.id, set()), policy)
    today = clock.today()
    case_table, staff_table = al.build_tables(
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
    level_idx = int(al.effective_level(case_table, rules)[0])
    ok = al.eligibility(
        level_idx, int(case_table.language[0]), int(case_table.region[0]), staff_table, rules
    )
    level = al.CASE_LEVELS[level_idx]
    if not bool(ok[0]):
        why = _why_ineligible(member, level, trained, case, rules)
        raise BadInput(f"{member.code} may not take case {work_order_id}: {why}")
    held = repo.live_count_of(session, member.id)
    if held + 1 > member.capacity:
        raise BadInput(f"{member.code} is at capacity ({held} of {member.capacity} open cases)")

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
    status = _status_after(case.status, to_staff=True, to_agency=False)
    if status != case.status:
        repo.set_work_order_status(session, {status: [case.id]}, now)
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
    members: list[Staff], rows: npt.NDArray[np.int64], balances: npt.NDArray[np.int64], held: Any
) -> dict[str, dict[str, object]]:
    """Per grade, over active collectors: min/max/mean open cases and min/max balance held."""
    m = len(members)
    taken = rows >= 0
    counts = np.bincount(rows[taken], minlength=m)[:m] + np.asarray(held)
    money = np.zeros(m, dtype=np.int64)
    np.add.at(money, rows[taken], balances[taken])
    out: dict[str, dict[str, object]] = {}
    for grade in al.GRADES:
        idx = [i for i, s in enumerate(members) if s.grade == grade and s.status == "active"]
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


# --- training and mentoring ---------------------------------------------------------------------


def _assign_mentor(
    session: Session,
    member: Staff,
    *,
    policy: TrainingPolicy,
    actor: str,
    exclude: int | None = None,
) -> bool:
    counts = repo.mentee_counts(session)
    candidates = [
        MentorCandidate(
            id=s.id, grade=s.grade, mentees=counts.get(s.id, 0), active=s.status == "active"
        )
        for s in repo.mentor_candidates(session, policy.mentoring.mentor_grades)
        if s.id != member.id
    ]
    chosen = pick_mentor(candidates, policy, exclude=exclude)
    if chosen is None:
        return False
    member.mentor_id = chosen
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.mentor",
        entity="staff",
        entity_id=member.id,
        after={"mentor_id": chosen},
        reason="least-loaded senior with a free seat",
    )
    return True


def assign_mentor(*, session: Session, code: str, actor: str = ACTOR) -> schemas.Staff:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    policy = training_policy()
    previous = member.mentor_id
    member.mentor_id = None
    session.flush()
    if not _assign_mentor(session, member, policy=policy, actor=actor, exclude=previous):
        member.mentor_id = previous
        raise Conflict("every mentor is at the mentee cap")
    return _staff_out(session, member, policy=policy)


def mentor_loads(*, session: Session) -> list[schemas.MentorLoad]:
    policy = training_policy()
    out = []
    for mentor in repo.mentor_candidates(session, policy.mentoring.mentor_grades):
        if mentor.status != "active":
            continue
        mentees = repo.mentees_of(session, mentor.id)
        out.append(
            schemas.MentorLoad(
                mentor=mentor.code,
                name=mentor.name,
                mentees=[m.code for m in mentees],
                cap=policy.mentoring.max_mentees,
            )
        )
    return out


def record_completion(
    *, session: Session, data: schemas.CompletionCreate, actor: str = ACTOR
) -> schemas.Completion:
    policy = training_policy()
    if data.course not in policy.courses:
        raise BadInput(f"course: unknown {data.course!r}; one of {sorted(policy.courses)}")
    member = repo.staff_by_code(session, data.staff)
    if member is None:
        raise NotFound(f"no staff member {data.staff!r}")
    passed = policy.passes(data.course, data.score)
    row = TrainingCompletion(
        staff_id=member.id,
        course=data.course,
        completed_on=data.completed_on,
        score=data.score,
        passed=passed,
        recorded_at=clock.now(),
    )
    session.add(row)
    try:
        session.flush()
    except Exception as exc:  # the unique constraint: same course, same day
        raise Conflict(
            f"{data.staff} already has a {data.course} result on {data.completed_on}"
        ) from exc
    audit.record(
        session,
        actor=actor,
        action="training.completion",
        entity="staff",
        entity_id=member.id,
        after={"course": data.course, "score": str(data.score), "passed": passed},
    )
    levels = trained_levels(repo.passed_courses(session, member.id).get(member.id, set()), policy)
    return schemas.Completion(
        staff=member.code,
        course=data.course,
        score=data.score,
        passed=passed,
        completed_on=data.completed_on,
        trained_levels=sorted(levels, key=al.STAFF_LEVELS.index),
    )


def training_status(*, session: Session, code: str) -> schemas.TrainingStatus:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    policy = training_policy()
    passed = repo.passed_courses(session, member.id).get(member.id, set())
    mentor = repo.staff_by_id(session, member.mentor_id) if member.mentor_id else None
    return schemas.TrainingStatus(
        staff=member.code,
        name=member.name,
        passed=sorted(passed),
        trained_levels=sorted(trained_levels(passed, policy), key=al.STAFF_LEVELS.index),
        next_gates={
            level: missing
            for level in al.STAFF_LEVELS
            if (missing := missing_for(level, passed, policy))
        },
        mentor=mentor.code if mentor else None,
    )


# --- metrics, pay, promotion ---------------------------------------------------------------------


def record_metrics(
    *, session: Session, data: schemas.MetricMonthCreate, actor: str = ACTOR
) -> None:
    """Insert or replace one staff member's month."""
    member = repo.staff_by_code(session, data.staff)
    if member is None:
        raise NotFound(f"no staff member {data.staff!r}")
    if data.promises_kept > data.promises_made:
        raise BadInput("promises_kept: more than promises_made")
    month = data.month.replace(day=1)
    row = repo.metric_month(session, member.id, month)
    values = data.model_dump(exclude={"staff", "month"})
    values["recovered"] = round_money(values["recovered"])
    before = None
    if row is None:
        row = StaffMetricMonth(staff_id=member.id, month=month, **values)
        session.add(row)
    else:
        before = {k: str(getattr(row, k)) for k in values}
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.metrics",
        entity="staff",
        entity_id=member.id,
        before=before,
        after={"month": month.isoformat(), **{k: str(v) for k, v in values.items()}},
    )


def import_metrics(*, session: Session, path: Path, actor: str = ACTOR) -> int:
    """Monthly metrics CSV (staff, month YYYY-MM, recovered, ...); all rows or none."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    items = []
    for number, row in enumerate(rows, start=2):
        raw: dict[str, Any] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
        if "month" in raw and len(raw["month"]) == 7:
            raw["month"] += "-01"
        try:
            items.append(schemas.MetricMonthCreate.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"])
            raise BadInput(f"{path.name} row {number}, column {column}: {first['msg']}") from None
    for number, item in enumerate(items, start=2):
        try:
            record_metrics(session=session, data=item, actor=actor)
        except (BadInput, NotFound) as exc:
            raise BadInput(f"{path.name} row {number}: {exc.message}") from None
    return len(items)


def derive_metrics(*, session: Session, month: date, actor: str = ACTOR) -> int:
    """Fill the workbench half of ``staff_metric_month`` for a month: recovered (payments on the
    accounts of the collector's work orders), promises made and kept, blocked attempts and
    attempts made under an override. Each event counts for whoever held the work order that day.
    Complaints, violations and QA scores come from the bank's own records and are left as loaded.
    Returns the number of staff months written."""
    first = month.replace(day=1)
    end = (first + timedelta(days=32)).replace(day=1)
    holders: dict[int, list[tuple[date, date | None, int]]] = defaultdict(list)
    for row in repo.assignment_intervals(session, first, end):
        ended = row.ended_at.date() if row.ended_at is not None else None
        holders[row.work_order_id].append((row.as_of, ended, row.staff_id))

    def holder(work_order_id: int, on: date) -> int | None:
        found = None
        for start, ended, staff_id in holders.get(work_order_id, ()):
            if start <= on and (ended is None or on < ended or (ended == on == start)):
                found = staff_id  # the latest assignment that covers the day wins
        return found

    totals: dict[int, Counter[str]] = defaultdict(Counter)
    recovered: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for p in repo.promises_made(session, first, end):
        staff_id = holder(p.work_order_id, p.made_on)
        if staff_id is not None:
            totals[staff_id]["promises_made"] += 1
            totals[staff_id]["promises_kept"] += p.status == "kept"
    for a in repo.contact_attempts(session, first, end):
        staff_id = holder(a.work_order_id, a.at.date())
        if staff_id is None:
            continue
        if not a.compliance_allowed:
            totals[staff_id]["blocked_attempts"] += 1
        elif a.overridden_by is not None:  # made only because compliance overrode a block
            totals[staff_id]["overrides"] += 1
    for pay in repo.payments_on_work_orders(session, first, end):
        staff_id = holder(pay.work_order_id, pay.paid_on)
        if staff_id is not None:
            recovered[staff_id] += pay.amount
    written = 0
    for staff_id in sorted(set(totals) | set(recovered)):
        stored = repo.metric_month(session, staff_id, first)
        values = {
            "recovered": round_money(recovered.get(staff_id, Decimal("0.00"))),
            "promises_made": totals[staff_id]["promises_made"],
            "promises_kept": totals[staff_id]["promises_kept"],
            "blocked_attempts": totals[staff_id]["blocked_attempts"],
            "overrides": totals[staff_id]["overrides"],
        }
        if stored is None:
            session.add(StaffMetricMonth(staff_id=staff_id, month=first, **values))
        else:
            for key, value in values.items():
                setattr(stored, key, value)
        written += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.metrics_derived",
        entity="staff_metric_month",
        entity_id=f"{first:%Y-%m}",
        after={"staff_months": written},
    )
    return written


def _metrics(rows: list[StaffMetricMonth]) -> dict[int, list[MonthMetrics]]:
    out: dict[int, list[MonthMetrics]] = defaultdict(list)
    for r in rows:
        out[r.staff_id].append(
            MonthMetrics(
                month=r.month,
                recovered=r.recovered,
                promises_made=r.promises_made,
                promises_kept=r.promises_kept,
                blocked_attempts=r.blocked_attempts,
                overrides=r.overrides,
                complaints=r.complaints,
                violations=r.violations,
                qa_score=r.qa_score,
            )
        )
    return out


def _payee(member: Staff) -> Payee:
    return Payee(
        id=member.id,
        name=member.name,
        grade=member.grade,
        employment_type=member.employment_type,
        hire_date=member.hire_date,
        left_on=member.left_on,
    )


def pay_statement(
    *,
    session: Session,
    code: str,
    month: date | None = None,
    year: int | None = None,
    plan: str = "default",
) -> schemas.PayStatement:
    """A month's or a year's pay for one person, line by line, from the stored metrics."""
    if (month is None) == (year is None):
        raise BadInput("give either a month or a year")
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    pay = pay_plan(plan)
    if month is not None:
        first = month.replace(day=1)
        end = (first + timedelta(days=32)).replace(day=1)
        rows = _metrics(repo.metric_months(session, [member.id], first, end)).get(member.id, [])
        return month_statement(
            pay, payee=_payee(member), month=first, metrics=rows[0] if rows else None
        )
    assert year is not None
    rows = _metrics(
        repo.metric_months(session, [member.id], date(year, 1, 1), date(year + 1, 1, 1))
    ).get(member.id, [])
    return year_statement(pay, payee=_payee(member), year=year, metrics=rows)


def promotion_report(
    *, session: Session, as_of: date, track: str | None = None, policy: str = "promotion"
) -> list[TrackResult]:
    rules = promotion_policy(policy)
    if track is not None and track not in rules.tracks:
        raise BadInput(f"track: unknown {track!r}; one of {sorted(rules.tracks)}")
    members = [
        m for m in repo.list_staff(session, status="active") if m.employment_type != "agency"
    ]
    passed = repo.passed_courses(session)
    longest = max(t.criteria.window_months for t in rules.tracks.values())
    first, end = window(as_of, longest)
    metrics = _metrics(repo.metric_months(session, [m.id for m in members], first, end))
    candidates = [
        Candidate(
            id=m.id,
            code=m.code,
            name=m.name,
            grade=m.grade,
            employment_type=m.employment_type,
            hire_date=m.hire_date,
            passed_courses=frozenset(passed.get(m.id, set())),
        )
        for m in members
    ]
    return promotion_report_rows(candidates, dict(metrics), rules, as_of=as_of, track=track)
