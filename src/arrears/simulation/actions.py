"""Every call the simulator makes into a domain service or a workbench flow, and nothing else.

The simulator drives the real department: the import path, the nightly cycle, allocation, the
contact (compliance decides), promise, plan, settlement and three-stops services, the month-end
pay statements and promotion report. When a service moves (issue 12 moves contact logging, the
case script and promise/plan/settlement entry points into workbench flows), only this module
changes. Functions take the caller's session and flush; the simulator commits at its boundaries.

Why one module: it is the simulator's one door into the product (``SERVICE_CALLS`` lists it);
split, a moved service would have to be looked for in several places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.errors import ArrearsError, RuleRefused

# (domain, function) for each call below: docs/simulation.md lists them, the report prints them.
SERVICE_CALLS = (
    ("migrations.runner", "upgrade"),
    ("portfolio.synth", "synth"),
    ("portfolio.uci", "read_uci (--book: the real UCI book, `import uci`'s reader)"),
    ("portfolio.importing", "run_import (the import path: store, then warehouse)"),
    ("workforce.policies", "allocation_rules, training_policy"),
    ("delinquency.fees", "load_fee_schedule"),
    ("strategy.loader", "load_strategy (input check)"),
    ("workforce.agency_service", "add_agency, add_contract, commission_statement"),
    ("workforce.agency_service", "reverse_payment"),
    ("workbench.agency_exchange", "export_day, import_activity"),
    ("workforce.exchange", "read_delivery, parse, manifest (the agency's side of the files)"),
    ("analytics.service", "agency_performance"),
    ("workforce.staff_service", "add_staff, leave"),
    ("workforce.training_service", "record_completion"),
    ("workforce.allocation_service", "allocate"),
    ("workforce.performance_service", "derive_metrics, pay_statement, promotion_report"),
    ("engine.service", "run_cycle"),
    ("engine.service", "begin_cycle (future-date probe, rolled back)"),
    ("promises.nightly", "reconcile_all (future-date probe, rolled back)"),
    ("workforce.scoping", "scoped_work_orders"),
    ("cases.service", "take_next, get, set_next_action"),
    ("channels.service", "opt_out, opted_out (a customer who asks not to be called)"),
    ("workbench.three_stops", "give_stop"),
    ("portfolio.repository", "contact_persons"),
    ("cases.repository", "stops_given"),
    ("promises.repository", "instalments"),
    ("promises.service", "policy (settlement terms)"),
    ("workbench.contact", "log_attempt"),
    ("promises.service", "take_promise"),
    ("promises.plan_service", "propose_plan"),
    ("promises.plan_service", "propose_settlement"),
    ("promises.plan_service", "decide_plan"),
    ("promises.service", "options_for"),
)


# --- store, portfolio, imports ---------------------------------------------------------------


def upgrade_schema(url: str) -> None:
    from arrears.migrations import runner

    runner.upgrade(url)


def synth_portfolio(*, accounts: int, seed: int, out: Path, as_of: date) -> dict[str, int]:
    from arrears.portfolio import synth

    return dict(synth.synth(accounts=accounts, seed=seed, out=out, as_of=as_of).rows)


def import_folder(*, folder: Path, warehouse: Path) -> dict[str, int]:
    """``arrears import portfolio DIR``: the same import path, step by step (its own commits)."""
    from arrears.portfolio import extract, importing

    files = extract.find_files(folder)
    outcome, _ = importing.run_import(
        sources=dict(files),
        sha256=extract.hash_files(files),
        kind="portfolio",
        source=str(folder),
        on_error="reject",
        warehouse_path=warehouse,
    )
    return dict(outcome.loaded)


def uci_book(*, csv_path: Path, out: Path, as_of: date, accounts: int | None) -> dict[str, int]:
    """The real UCI book as of ``as_of`` (``import uci``'s reader), its first ``accounts``
    clients (None: all 30,000), written as an extract folder for the import path."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from arrears.portfolio import uci

    tables = uci.read_uci(csv_path, as_of=as_of)
    tables.pop("uci_outcomes")
    keep = None
    if accounts is not None:
        ids = tables["accounts"].column("account_id").to_pylist()
        keep = pa.array(sorted(ids, key=lambda r: int(r))[:accounts])
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, table in tables.items():
        if keep is not None:
            key = "account_id" if "account_id" in table.column_names else "customer_id"
            table = table.filter(pc.is_in(table.column(key), value_set=keep))
        pq.write_table(table, out / f"{name}.parquet")
        rows[name] = table.num_rows
    return rows


# --- workforce -------------------------------------------------------------------------------


def contract_of(plan: Any, *, start: date, end: date | None) -> Any:
    """The product's contract schema for the simulated agency's plan (``roster.AgencyPlan``):
    buckets and levels from the vocabulary, tiers, fields; a bad one is ``BadInput``."""
    from pydantic import ValidationError

    from arrears.kit.errors import BadInput
    from arrears.workforce import schemas

    try:
        return schemas.AgencyContractCreate(
            agency=plan.code,
            code=f"{plan.code}-C1",
            buckets=plan.buckets,
            levels=plan.levels,
            commission_pct=Decimal(str(plan.commission_pct)),
            start_date=start,
            end_date=end,
            recall_after_days=plan.recall_after_days,
            commission_tiers=[{"up_to": t.up_to, "rate": t.pct / 100} for t in plan.tiers] or None,
            commission_cap=plan.cap,
            exchange_fields=plan.exchange_fields,
            masked_fields=plan.masked_fields,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "contract"
        message = first["msg"].removeprefix("Value error, ")
        raise BadInput(f"agency {plan.code}: {where}: {message}") from None


def add_agency(*, session: Session, plan: Any, start: date, end: date | None, actor: str) -> None:
    from arrears.workforce import agency_service, schemas

    agency_service.add_agency(
        session=session, data=schemas.AgencyCreate(code=plan.code, name=plan.name), actor=actor
    )
    agency_service.add_contract(
        session=session, data=contract_of(plan, start=start, end=end), actor=actor
    )


def add_staff(
    *,
    session: Session,
    code: str,
    name: str,
    grade: str,
    employment: str,
    levels: list[str],
    languages: list[str],
    capacity: int,
    hire_date: date,
    team: str | None,
    agency: str | None = None,
    actor: str,
) -> int:
    from arrears.workforce import schemas, staff_service

    out = staff_service.add_staff(
        session=session,
        data=schemas.StaffCreate(
            code=code,
            name=name,
            employment_type=employment,
            grade=grade,
            team=team,
            agency=agency,
            levels=levels,
            languages=languages,
            capacity=capacity,
            hire_date=hire_date,
        ),
        actor=actor,
    )
    return out.id


def policies(fee_schedule: str) -> tuple[Any, Any, Any]:
    """The allocation rules, the training policy and the fee schedule the invariants read."""
    from arrears.delinquency.fees import load_fee_schedule
    from arrears.workforce import policies as workforce_policies

    return (
        workforce_policies.allocation_rules(),
        workforce_policies.training_policy(),
        load_fee_schedule(fee_schedule),
    )


def training_courses() -> dict[str, Decimal]:
    """Course -> pass mark, from the training policy."""
    from arrears.workforce import policies as workforce_policies

    return {name: c.pass_score for name, c in workforce_policies.training_policy().courses.items()}


def allocation_level_grades(rules: str = "allocation") -> dict[str, list[str]]:
    from arrears.workforce import policies as workforce_policies

    level_grades = workforce_policies.allocation_rules(rules).level_grades
    return {k: list(v) for k, v in level_grades.items()}


def record_completion(
    *, session: Session, code: str, course: str, score: Decimal, on: date, actor: str
) -> None:
    from arrears.workforce import schemas, training_service

    training_service.record_completion(
        session=session,
        data=schemas.CompletionCreate(staff=code, course=course, score=score, completed_on=on),
        actor=actor,
    )


def leave(*, session: Session, code: str, on: date, actor: str) -> None:
    from arrears.workforce import staff_service

    staff_service.leave(session=session, code=code, on=on, actor=actor)


def export_exchange(*, session: Session, agency: str, day: date, out: Path) -> dict[str, int]:
    """``arrears agencies export AGENCY --day DAY --out DIR``: the day's placement and recall
    files with their manifest."""
    from arrears.workbench import agency_exchange

    return agency_exchange.export_day(session=session, agency=agency, day=day, out=out)


def import_agency_activity(
    *, session: Session, agency: str, directory: Path, actor: str
) -> dict[str, int]:
    """``arrears agencies import-activity``: contacts through compliance, payments into the
    store for the promise stage; the whole delivery or nothing."""
    from arrears.workbench import agency_exchange

    return agency_exchange.import_activity(
        session=session, agency=agency, directory=directory, actor=actor
    )


def reverse_payment(*, session: Session, account: str, reference: str, actor: str) -> None:
    from arrears.workforce import agency_service

    agency_service.reverse_payment(
        session=session,
        account=account,
        reference=reference,
        reason="returned by the payer's bank",
        actor=actor,
    )


def commission_statement(*, session: Session, agency: str, month: date) -> Any:
    from arrears.workforce import agency_service

    return agency_service.commission_statement(session=session, agency=agency, month=month)


def agency_performance(*, session: Session) -> dict[str, Any]:
    from arrears.analytics import service

    return service.agency_performance(session=session)


def allocate(*, session: Session, as_of: date, actor: str) -> Any:
    from arrears.workforce import allocation_service

    return allocation_service.allocate(session=session, as_of=as_of, actor=actor)


def month_end(
    *, session: Session, month: date, as_of: date, staff: list[str], actor: str
) -> dict[str, Any]:
    """Derive the month's metrics, a pay statement per person, the promotion report."""
    from arrears.workforce import performance_service as performance

    derived = performance.derive_metrics(session=session, month=month, actor=actor)
    total = Decimal("0.00")
    statements = 0
    for code in staff:
        statement = performance.pay_statement(session=session, code=code, month=month)
        total += statement.total
        statements += 1
    report = performance.promotion_report(session=session, as_of=as_of)
    eligible = sorted({f"{r.staff_code}:{r.track}" for r in report if r.eligible})
    return {
        "month": f"{month:%Y-%m}",
        "metrics_rows": derived,
        "pay_statements": statements,
        "pay_total": total,
        "promotion_rows": len(report),
        "promotion_eligible": eligible,
    }


# --- the nightly cycle -----------------------------------------------------------------------


def run_cycle(
    *, as_of: date, settings: Settings, store: Engine, engine: str, strategy: str | None
) -> Any:
    from arrears.engine import service as cycle

    return cycle.run_cycle(
        as_of=as_of, settings=settings, store=store, engine=engine, strategy=strategy
    )


def check_strategy(strategy: str | None, settings: Settings) -> None:
    """Load the strategy as the cycle will (a bad name or file is the user's input error)."""
    from arrears.strategy.loader import load_strategy

    load_strategy(strategy or settings.strategy)


# --- the collector's day ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    attempt_id: int
    outcome: str
    right_party: bool  # made, and a conversation with the debtor himself
    made: bool
    rules: tuple[str, ...]
    next_allowed: datetime | None


def take_next(*, session: Session, staff_id: int, code: str, actor: str) -> Any | None:
    """The collector's next due case from their own queue (moved to in_progress), or None."""
    from arrears.auth.policy import Principal
    from arrears.cases import service as case_service
    from arrears.kit.errors import NotFound
    from arrears.workforce.scoping import scoped_work_orders

    principal = Principal(user_id=0, username=code, role="collector", staff_id=staff_id)
    try:
        return case_service.take_next(
            session=session, actor=actor, base=scoped_work_orders(principal)
        )
    except NotFound:
        return None


def call(
    *,
    session: Session,
    work_order_id: int,
    outcome: str,
    actor: str,
    collector: str,
    contact_person_id: int | None = None,
) -> Call:
    """One outbound call, through compliance: logged as made (with the outcome) or blocked, at
    the clock's now (the server owns time; the simulator moves the clock)."""
    from arrears.contacts.schemas import ContactIn
    from arrears.contacts.vocabulary import RIGHT_PARTY_OUTCOMES
    from arrears.workbench import contact

    attempt = contact.log_attempt(
        session=session,
        work_order_id=work_order_id,
        body=ContactIn(
            channel="call",
            party="contact_person" if contact_person_id is not None else "debtor",
            outcome=outcome,
            contact_person_id=contact_person_id,
            purpose="callback_request" if contact_person_id is not None else None,
            duration_seconds=0 if outcome in ("no_answer", "busy", "not_in_service") else 240,
        ),
        actor=actor,
        collector=collector,
    )
    return Call(
        attempt_id=attempt.id,
        outcome=outcome,
        right_party=attempt.status == "made"
        and contact_person_id is None
        and outcome in RIGHT_PARTY_OUTCOMES,
        made=attempt.status == "made",
        rules=tuple(attempt.compliance_rules or ()),
        next_allowed=attempt.compliance_next_allowed_at,
    )


def case(*, session: Session, work_order_id: int) -> Any | None:
    """A case the collector calls again by its id (a re-dial, a held case), or None."""
    from arrears.cases import service as case_service
    from arrears.kit.errors import NotFound

    try:
        return case_service.get(session=session, work_order_id=work_order_id)
    except NotFound:
        return None


def opt_out_of_calls(*, session: Session, cardholder_id: int, actor: str) -> None:
    """The customer asked on the call not to be called again: the collector records it."""
    from arrears.channels import service as channel_service

    channel_service.opt_out(
        session=session, cardholder_id=cardholder_id, channel="call", via="collector", actor=actor
    )


def opted_out_of_calls(*, session: Session, cardholder_id: int) -> bool:
    from arrears.channels import service as channel_service

    return "call" in channel_service.opted_out(session=session, cardholder_id=cardholder_id)


def contact_person_ids(*, session: Session, cardholder_id: int) -> list[int]:
    from arrears.portfolio import repository as portfolio_repository

    return [c.id for c in portfolio_repository.contact_persons(session, cardholder_id)]


def set_next_action(*, session: Session, work_order_id: int, on: date, actor: str) -> None:
    from arrears.cases import service as case_service

    case_service.set_next_action(session=session, work_order_id=work_order_id, on=on, actor=actor)


def give_stop(
    *, session: Session, work_order_id: int, stop: int, attempt_id: int, actor: str
) -> None:
    from arrears.workbench import three_stops

    three_stops.give_stop(
        session=session,
        work_order_id=work_order_id,
        stop=stop,
        actor=actor,
        contact_attempt_id=attempt_id,
    )


def stops_given(*, session: Session, work_order_id: int) -> list[int]:
    from arrears.cases import repository as case_repository

    return [s.stop for s in case_repository.stops_given(session, work_order_id)]


def take_promise(
    *,
    session: Session,
    work_order_id: int,
    amount: Decimal,
    due_on: date,
    attempt_id: int,
    actor: str,
) -> int:
    from arrears.promises import service as promises

    # A collector who takes a new promise on a case says it replaces what was agreed before.
    return promises.take_promise(
        session=session,
        work_order_id=work_order_id,
        amount=amount,
        due_on=due_on,
        channel="call",
        actor=actor,
        contact_attempt_id=attempt_id,
        supersede=True,
    ).id


def plan_offer(*, total_due: Decimal, past_due: Decimal, dpd: int, currency: str) -> list[Any]:
    from arrears.promises import service as promises

    return promises.options_for(
        total_due=total_due, amount_past_due=past_due, dpd=dpd, currency=currency
    )


def propose_plan(
    *,
    session: Session,
    work_order_id: int,
    instalments: int,
    first_due_on: date,
    actor: str,
) -> tuple[int, str, list[tuple[date, Decimal]]]:
    """A plan over what the case owes (the store's figure; it replaces any live arrangement);
    returns (plan id, status, [(due date, amount)])."""
    from arrears.promises import plan_service
    from arrears.promises import repository as promise_repository

    plan = plan_service.propose_plan(
        session=session,
        work_order_id=work_order_id,
        instalments=instalments,
        first_due_on=first_due_on,
        actor=actor,
        supersede=True,
    )
    rows = [(r.due_on, r.amount) for r in promise_repository.instalments(session, plan.id)]
    return plan.id, plan.status, rows


def propose_settlement(
    *,
    session: Session,
    work_order_id: int,
    discount: Decimal,
    due_on: date,
    actor: str,
) -> tuple[int, str, Decimal]:
    """A settlement on what the case owes (the store's figure; it replaces any live
    arrangement); returns (plan id, status, what the customer pays)."""
    from arrears.promises import plan_service

    plan = plan_service.propose_settlement(
        session=session,
        work_order_id=work_order_id,
        discount=discount,
        due_on=due_on,
        actor=actor,
        supersede=True,
    )
    return plan.id, plan.status, plan.total


def settlement_terms() -> tuple[int, Decimal]:
    """(days past due from which a settlement is offered, the offered discount)."""
    from arrears.promises import service as promises

    offers = promises.policy().offers
    return offers.settlement_from_dpd, offers.settlement_discount


def approve_plan(*, session: Session, plan_id: int, actor: str) -> None:
    from arrears.promises import plan_service

    plan_service.decide_plan(
        session=session,
        plan_id=plan_id,
        approve=True,
        actor=actor,
        role="team_lead",
        note="approved by the team lead (simulated)",
    )


# --- invariant 10: nothing is dated in the future, whoever asks ------------------------------


def future_refusals(*, session: Session, day: date, actor: str) -> dict[str, str | None]:
    """Ask allocation and reconciliation for ``day`` (after today) inside the caller's
    transaction, which the caller rolls back: ``None`` when refused, else what happened."""
    from arrears.promises import nightly as promises
    from arrears.workforce import allocation_service

    found: dict[str, str | None] = {}
    for name, ask in (
        (
            "allocation",
            lambda: allocation_service.allocate(session=session, as_of=day, actor=actor),
        ),
        ("reconciliation", lambda: promises.reconcile_all(session=session, actor=actor, as_of=day)),
    ):
        savepoint = session.begin_nested()
        try:
            ask()
            found[name] = f"{name} for {day} was accepted"
        except RuleRefused:
            found[name] = None
        except ArrearsError as exc:
            found[name] = f"{name} for {day} failed with {type(exc).__name__}: {exc.message}"
        finally:
            if savepoint.is_active:
                savepoint.rollback()
    return found


def future_cycle_refused(
    *, store: Engine, settings: Settings, day: date, strategy: str | None
) -> str | None:
    """Open a cycle run for ``day`` (after today) on a connection whose transaction is rolled
    back, so nothing stays: ``None`` when refused, else what happened."""
    from arrears.engine import service as cycle

    with store.connect() as conn:
        outer = conn.begin()
        try:
            cycle.begin_cycle(
                as_of=day,
                settings=settings,
                store=cast(Engine, conn),  # the run record joins this transaction
                strategy=strategy,
            )
            return f"a cycle run for {day} was opened"
        except RuleRefused:
            return None
        except ArrearsError as exc:
            return f"the cycle for {day} failed with {type(exc).__name__}: {exc.message}"
        finally:
            outer.rollback()
