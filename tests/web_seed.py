"""A small store for the web tests: two customers with delinquent accounts, their cases, and one
user per role. Shared by tests/integration/test_web_*.py, test_auth_*.py and tests/e2e."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.passwords import hash_password
from arrears.auth.policy import ROLES
from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    ContactPerson,
    Payment,
    Phone,
    Statement,
)
from arrears.workforce.models import Agency, AgencyContract, Assignment, Staff, Team

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: a lawful calling hour
PASSWORD = "correct-horse-battery"

# Raw personal data that must never appear for a masking role.
ID_NUMBER = "110101199003071234"
ADDRESS = "北京市朝阳区建国路88号院3号楼1201室"
PHONE = "13812345678"
CONTACT_PHONE = "13987654321"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Seeded:
    work_orders: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    cardholders: list[int] = field(default_factory=list)
    phones: list[int] = field(default_factory=list)
    contact_persons: list[int] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    agency_id: int = 0


def _customer(session: Session, n: int, seeded: Seeded) -> None:
    holder = Cardholder(
        external_ref=f"C{n:04d}",
        name=f"张{n}",
        id_number=ID_NUMBER if n == 1 else f"3201021985010{n:05d}",
        address=ADDRESS if n == 1 else f"南京市鼓楼区中山路{n}号",
        province="北京" if n == 1 else "江苏",
        city="北京" if n == 1 else "南京",
        identity_category="private_employee",
        language="zh-CN",
        time_zones=["Asia/Shanghai"],
        flags=[],
        created_at=NOW,
    )
    session.add(holder)
    session.flush()
    phone = Phone(
        cardholder_id=holder.id, number=PHONE if n == 1 else f"1390000{n:04d}", type="mobile"
    )
    person = ContactPerson(
        cardholder_id=holder.id,
        name=f"李{n}",
        relation="spouse",
        phone=CONTACT_PHONE if n == 1 else f"1370000{n:04d}",
    )
    session.add_all([phone, person])
    account = delinquent_account(session, holder.id, ref=f"A{n:04d}", payment_ref=f"P{n}-1")
    wo = open_case(session, holder, account, priority=100 - n, now=NOW)
    seeded.work_orders.append(wo.id)
    seeded.accounts.append(account.id)
    seeded.cardholders.append(holder.id)
    seeded.phones.append(phone.id)
    seeded.contact_persons.append(person.id)


def delinquent_account(
    session: Session,
    cardholder_id: int,
    *,
    ref: str,
    payment_ref: str,
    extra: Decimal = Decimal(0),
) -> CardAccount:
    """A classic card account with three statements (August to October 2026, ``extra`` added to
    each closing balance) and one payment of 900.00: two minimums past due on AS_OF; flushed."""
    account = CardAccount(
        external_ref=ref,
        cardholder_id=cardholder_id,
        product="classic",
        credit_limit=Decimal("20000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=Decimal("0.1000"),
        status="active",
    )
    session.add(account)
    session.flush()
    for month, balance in ((8, "9000.00"), (9, "9500.00"), (10, "10000.00")):
        closing = Decimal(balance) + extra
        session.add(
            Statement(
                account_id=account.id,
                cycle_date=date(2026, month, 5),
                due_date=date(2026, month, 25),
                closing_balance=closing,
                minimum_due=(closing / 10).quantize(Decimal("0.01")),
            )
        )
    session.add(
        Payment(
            account_id=account.id,
            paid_on=date(2026, 8, 20),
            amount=Decimal("900.00"),
            channel="online",
            reference=payment_ref,
        )
    )
    return account


def open_case(
    session: Session, holder: Cardholder, account: CardAccount, *, priority: int, now: datetime
) -> WorkOrder:
    """The open M2 case on ``delinquent_account``'s account (56 days, 1,900.00 past due as of
    AS_OF) with its account line; flushed."""
    wo = WorkOrder(
        cardholder_id=holder.id,
        customer_ref=holder.external_ref,
        status="open",
        bucket="M2",
        dpd=56,
        amount_due=Decimal("1900.00"),
        balance=Decimal("10000.00"),
        currency="CNY",
        level="junior",
        queue="early",
        priority=priority,
        segment="salaried",
        opened_on=date(2026, 9, 26),
        last_cycle_as_of=AS_OF,
        created_at=now,
        updated_at=now,
    )
    session.add(wo)
    session.flush()
    session.add(
        WorkOrderAccount(
            work_order_id=wo.id,
            account_ref=account.external_ref,
            account_id=account.id,
            bucket="M2",
            dpd=56,
            amount_due=Decimal("1900.00"),
        )
    )
    session.flush()
    return wo


STAFF_GRADES = {
    "collector": "collection_officer",
    "senior_specialist": "senior_collection_specialist",
    "team_lead": "team_lead",
}


def _workforce(session: Session, seeded: Seeded) -> None:
    """A team with a collector (mentored by the senior), a lead, and an agency with a contract.

    Case 1 is assigned to the collector; case 2 (if any) is placed with the agency.
    """
    team = Team(code="T1", name="Team 1", created_at=NOW)
    agency = Agency(code="AG1", name="Agency 1", status="active", created_at=NOW)
    session.add_all([team, agency])
    session.flush()
    contract = AgencyContract(
        agency_id=agency.id,
        code="AG1-2026",
        buckets=["M2", "M3"],
        levels=["junior"],
        commission_pct=Decimal("15.00"),
        start_date=date(2026, 1, 1),
        created_at=NOW,
    )
    session.add(contract)
    staff: dict[str, Staff] = {}
    for role, grade in STAFF_GRADES.items():
        staff[role] = Staff(
            code=f"S-{role}",
            name=role,
            employment_type="establishment",
            grade=grade,
            team_id=team.id,
            levels=["junior", "intermediate"],
            languages=["zh-CN"],
            regions=[],
            capacity=100,
            hire_date=date(2024, 1, 1),
            status="active",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(staff[role])
        session.flush()
    staff["collector"].mentor_id = staff["senior_specialist"].id
    session.flush()
    seeded.staff = {role: s.id for role, s in staff.items()}
    seeded.agency_id = agency.id
    session.add(
        Assignment(
            work_order_id=seeded.work_orders[0],
            staff_id=staff["collector"].id,
            level="junior",
            reason="test",
            as_of=AS_OF,
            assigned_at=NOW,
        )
    )
    if len(seeded.work_orders) > 1:
        session.add(
            Assignment(
                work_order_id=seeded.work_orders[1],
                agency_id=agency.id,
                contract_id=contract.id,
                level="junior",
                reason="test",
                as_of=AS_OF,
                assigned_at=NOW,
            )
        )
    session.flush()


def seed(session: Session, *, customers: int = 2) -> Seeded:
    """Customers, cases, the workforce, and one user per role (username = role, password =
    PASSWORD). Case 1 is the collector's; case 2 is placed with the agency."""
    seeded = Seeded()
    for n in range(1, customers + 1):
        _customer(session, n, seeded)
    _workforce(session, seeded)
    for role in ROLES:
        # One argon2 hash for all (hashing is deliberately slow; the tests sign in often).
        user = User(
            username=role,
            display_name=role,
            password_hash=_password_hash(),
            role=role,
            agency_id=seeded.agency_id if role == "agency_user" else None,
            staff_id=seeded.staff.get(role),
            locale="en",
            active=True,
            created_at=NOW,
            password_changed_at=NOW,
        )
        session.add(user)
        session.flush()
        seeded.users[role] = user.id
    session.flush()
    return seeded


def stored_user(
    session: Session,
    username: str,
    role: str,
    *,
    staff_id: int | None = None,
    agency_id: int | None = None,
    active: bool = True,
) -> User:
    """One more user in the store (flushed), e.g. for a CLI command's ``--as``."""
    user = User(
        username=username,
        display_name=username,
        password_hash=_password_hash(),
        role=role,
        agency_id=agency_id,
        staff_id=staff_id,
        locale="en",
        active=active,
        created_at=NOW,
        password_changed_at=NOW,
    )
    session.add(user)
    session.flush()
    return user
