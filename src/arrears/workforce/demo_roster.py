"""The demo: a deterministic roster (teams, training records, mentors, one agency with a contract)
and one sign-in per role linked to the busiest staff row or agency, so every queue shows cases.

Built from the same services an operator uses (``add_staff``, ``add_agency``, ``add_contract``,
``arrears.auth.service.create_user``). Keyword-only, flush never commit.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.auth import repository as auth_repo
from arrears.auth.passwords import generate_password
from arrears.auth.policy import ROLES
from arrears.auth.schemas import UserCreate
from arrears.auth.service import create_user, reset_password
from arrears.kit.clock import clock
from arrears.workforce import allocation as al
from arrears.workforce import repository as repo
from arrears.workforce import schemas
from arrears.workforce.agency_service import add_agency, add_contract
from arrears.workforce.models import TrainingCompletion
from arrears.workforce.policies import allocation_rules, training_policy
from arrears.workforce.staff_service import add_staff, pair_with_mentor

ACTOR = "system"

# Common surnames and given-name characters: the demo roster reads like a Chinese center's.
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
    # Mentors once every senior exists: recent hires (in probation) first.
    probation = allocation_rules().probation_days
    for data, _ in plan:
        if data.code in existing or data.grade not in policy.mentoring.mentee_grades:
            continue
        if not al.in_probation(data.hire_date, today, probation):
            continue  # mentors go to staff in probation only
        member = repo.staff_by_code(session, data.code)
        if member is not None and pair_with_mentor(
            session=session, member=member, policy=policy, actor=actor, day=today
        ):
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


# --- demo users ----------------------------------------------------------------------------------

# Which staff grade a demo user of each role works as (its queue comes from that staff row).
DEMO_STAFF_GRADE = {
    "collector": "collection_officer",
    "senior_specialist": "senior_collection_specialist",
    "team_lead": "team_lead",
}


def create_demo_users(*, session: Session) -> list[tuple[str, str, str]]:
    """One user per role with a fresh generated password: ``[(username, role, password)]``.

    Collector, senior specialist and team lead are linked to the busiest staff row of their
    grade, the agency user to the busiest agency, so their queues show cases. Existing demo users
    get a new password and fresh links (the demo prints them at every start).
    """
    agency_id = repo.busiest_agency(session)
    created: list[tuple[str, str, str]] = []
    for role in ROLES:
        username = f"demo_{role}"
        password = generate_password(14)
        grade = DEMO_STAFF_GRADE.get(role)
        staff_id = repo.busiest_staff(session, grade) if grade else None
        # An agency user must name an agency; with none on file it sees nothing (fails closed).
        agency = (agency_id or 0) if role == "agency_user" else None
        user = auth_repo.user_by_username(session, username)
        if user is None:
            create_user(
                session=session,
                data=UserCreate(
                    username=username,
                    display_name=username.replace("_", " ").title(),
                    role=role,
                    password=password,
                    agency_id=agency,
                    staff_id=staff_id,
                    locale="zh-CN",
                ),
                actor="system:demo",
            )
        else:
            user.staff_id, user.agency_id, user.active = staff_id, agency, True
            reset_password(session=session, user_id=user.id, actor="system:demo", password=password)
        created.append((username, role, password))
    return created
