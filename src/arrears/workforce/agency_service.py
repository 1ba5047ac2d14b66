"""Outside agencies and their contracts (which buckets and levels they take, when cases come back).
Keyword-only, flush never commit, return schemas; every change audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.workforce import commission, schemas
from arrears.workforce import repository as repo
from arrears.workforce.compensation import Tier
from arrears.workforce.exchange import DEFAULT_FIELDS
from arrears.workforce.metrics import holder_on
from arrears.workforce.models import Agency, AgencyContract, PaymentReversal

ACTOR = "system"


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
        commission_tiers=list(terms(contract).tiers) if contract.commission_tiers else None,
        commission_cap=contract.commission_cap,
        exchange_fields=list(contract.exchange_fields or DEFAULT_FIELDS),
        masked_fields=list(contract.masked_fields or []),
    )


def _scope(contract: AgencyContract) -> commission.Scope:
    return commission.Scope(
        contract.code,
        frozenset(contract.buckets),
        frozenset(contract.levels),
        contract.start_date,
        contract.end_date,
    )


def terms(contract: AgencyContract) -> commission.Terms:
    """The contract's commission terms (one tier at ``commission_pct`` when it has no tiers)."""
    tiers = (
        tuple(Tier.model_validate(t) for t in contract.commission_tiers)
        if contract.commission_tiers
        else (Tier(up_to=None, rate=contract.commission_pct / 100),)
    )
    return commission.Terms(code=contract.code, tiers=tiers, cap=contract.commission_cap)


def add_contract(
    *, session: Session, data: schemas.AgencyContractCreate, actor: str = ACTOR
) -> schemas.AgencyContract:
    agency = repo.agency_by_code(session, data.agency)
    if agency is None:
        raise NotFound(f"no agency {data.agency!r}")
    if repo.contract_by_code(session, data.code) is not None:
        raise Conflict(f"contract {data.code!r} already exists")
    clash = commission.overlapping(
        commission.Scope(
            data.code,
            frozenset(data.buckets),
            frozenset(data.levels),
            data.start_date,
            data.end_date,
        ),
        [_scope(c) for c, _ in repo.list_contracts(session) if c.agency_id == agency.id],
    )
    if clash:
        raise BadInput(
            f"contract {data.code!r} overlaps {', '.join(clash)} of agency {agency.code!r} "
            "(a shared bucket and level on a shared day)"
        )
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
        commission_tiers=(
            [t.model_dump(mode="json") for t in data.commission_tiers]
            if data.commission_tiers
            else None
        ),
        commission_cap=data.commission_cap,
        exchange_fields=data.exchange_fields,
        masked_fields=data.masked_fields or None,
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


def _month_recoveries(
    session: Session, agency: Agency, first: date, last: date
) -> tuple[dict[int, AgencyContract], list[commission.Recovery]]:
    """The agency's contracts and every payment made (or reversed) from ``first`` to ``last``
    while it held the case."""
    contracts = {c.id: c for c in repo.contracts_of(session, agency.id)}
    rows = repo.agency_payments(session, agency.id, first, last)
    intervals = repo.holder_intervals(session, sorted({r.work_order_id for r in rows}))
    recoveries = []
    used: set[int] = set()
    for r in rows:
        agency_id, contract_id = holder_on(intervals[r.work_order_id], r.paid_on) or (None, None)
        if agency_id != agency.id or contract_id not in contracts or r.id in used:
            continue  # paid while someone else held the case (or two orders share an account)
        used.add(r.id)
        recoveries.append(
            commission.Recovery(
                contract=contracts[contract_id].code,
                reference=r.reference,
                account=r.account,
                paid_on=r.paid_on,
                amount=r.amount,
                reversed_on=r.reversed_on,
            )
        )
    return contracts, recoveries


def commission_statement(
    *, session: Session, agency: str, month: date
) -> commission.CommissionStatement:
    """The agency's commission for a closed month, line by line: every payment made while it
    held the case (per contract, tiers, cap), and clawback of payments reversed in the month."""
    found = repo.agency_by_code(session, agency)
    if found is None:
        raise NotFound(f"no agency {agency!r}")
    today = center_today()  # the server's clock: a month is paid once it is over
    if not commission.month_closed(month, today):
        raise BadInput(f"month {month:%Y-%m} is not closed yet (today is {today})")
    first, last = commission.month_bounds(month)
    contracts, recoveries = _month_recoveries(session, found, first, last)
    return commission.statement(
        agency=found.code,
        month=first,
        terms=[terms(c) for c in contracts.values()],
        recoveries=recoveries,
    )


def commission_on(
    *, session: Session, payments: set[tuple[str, str]], months: set[date]
) -> Decimal:
    """What the agencies' statements pay for these payments (account, reference) over the
    closed ``months`` (their first days): each statement's share for them, less their
    clawbacks (``commission.attributed``). A month not closed yet has no statement: nothing."""
    today = center_today()
    total = Decimal(0)
    if not payments:
        return total
    for agency in repo.list_agencies(session):
        for month in sorted(months):
            if not commission.month_closed(month, today):
                continue
            first, last = commission.month_bounds(month)
            contracts, recoveries = _month_recoveries(session, agency, first, last)
            if not recoveries:
                continue
            total += commission.attributed(
                month=first,
                terms=[terms(c) for c in contracts.values()],
                recoveries=recoveries,
                which=payments,
            )
    return total


def reverse_payment(
    *, session: Session, account: str, reference: str, reason: str, actor: str = ACTOR
) -> PaymentReversal:
    """Record that the card system took a payment back today; commission paid on it is clawed
    back on the statement of this month."""
    payment = repo.payment_by_reference(session, account, reference)
    if payment is None:
        raise NotFound(f"no payment {reference!r} on account {account!r}")
    if repo.reversal_of(session, payment.id) is not None:
        raise RuleRefused(f"payment {reference!r} on account {account!r} is already reversed")
    if not reason.strip():
        raise BadInput("--reason: required")
    row = PaymentReversal(
        payment_id=payment.id,
        reversed_on=center_today(),
        reason=reason.strip(),
        recorded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment.reverse",
        entity="payment",
        entity_id=payment.id,
        after={"reversed_on": row.reversed_on.isoformat(), "reason": row.reason},
    )
    return row
