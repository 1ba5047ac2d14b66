"""Compliance operations: decide and record, override, report. Flushes, never commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.compliance import repository
from arrears.compliance.engine import HistoryIndex, decide
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.profile import Profile
from arrears.compliance.reasons import Reason, dumped, refusal
from arrears.compliance.schemas import (
    Attempt,
    Consent,
    Debtor,
    Decision,
    Person,
    Proposed,
    ReportRow,
)
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound, NotPermitted, RuleRefused

OVERRIDE_ROLE = "compliance_officer"


def check(
    *,
    session: Session,
    profile: Profile,
    person: Person,
    proposed: Proposed,
    history: Sequence[Attempt] | HistoryIndex = (),
    consents: Sequence[Consent] = (),
    debtor: Debtor | None = None,
    actor: str,
    role: str | None = None,
    override_reason: str | None = None,
) -> tuple[Decision, ComplianceCheck]:
    """Decide ``proposed``, record the decision, and apply an override if one is asked for.

    Callers must act only when ``record.permitted`` is true.
    """
    decision = decide(
        profile=profile,
        person=person,
        proposed=proposed,
        history=history,
        consents=consents,
        debtor=debtor,
    )
    record = repository.add(
        session,
        ComplianceCheck(
            at=clock.now(),
            action_at=proposed.at,
            profile=profile.name,
            collector=proposed.collector or "",
            actor=actor,
            person_ref=person.id,
            channel=proposed.channel,
            proposed=proposed.model_dump(mode="json"),
            allowed=decision.allowed,
            rules=list(decision.rules),
            reason=decision.reason,
            reasons=dumped(decision.reasons) or None,
            next_allowed_at=decision.next_allowed_at,
        ),
    )
    if override_reason is not None and not decision.allowed:
        override(
            session=session, check_id=record.id, actor=actor, role=role, reason=override_reason
        )
    elif not decision.allowed:
        _carry_standing_override(session=session, record=record)
    return decision, record


def _carry_standing_override(*, session: Session, record: ComplianceCheck) -> None:
    """An officer's override lets the collector act: the same block (no rule the officer did
    not see) on the same person and channel goes ahead under it for the rest of the center's
    day, recorded as overridden by that officer and naming the override it stands on."""
    from arrears.config import get_settings

    zone = ZoneInfo(get_settings().time_zone)
    start = datetime.combine(clock.now().astimezone(zone).date(), time(0), zone).astimezone(UTC)
    grant = repository.standing_override(
        session,
        person_ref=record.person_ref,
        channel=record.channel,
        since=start,
        before_id=record.id,
    )
    if grant is None or not set(record.rules or []) <= set(grant.rules or []):
        return
    record.overridden_by = grant.overridden_by
    record.override_reason = f"under override of check {grant.id}: {grant.override_reason}"
    record.overridden_at = clock.now()
    session.flush()


def override(
    *, session: Session, check_id: int, actor: str, role: str | None, reason: str
) -> ComplianceCheck:
    """Let a blocked action go ahead: compliance officers only, with a reason; audited."""
    if role != OVERRIDE_ROLE:
        raise refusal(NotPermitted, Reason(rule="override.role", params={"role": OVERRIDE_ROLE}))
    if not reason or not reason.strip():
        raise BadInput("an override needs a reason")
    record = repository.get(session, check_id)
    if record is None:
        raise NotFound(f"no compliance check {check_id}")
    if record.allowed:
        raise refusal(RuleRefused, Reason(rule="override.nothing", params={"check": check_id}))
    if record.overridden_by is not None:
        raise refusal(Conflict, Reason(rule="override.done", params={"check": check_id}))
    before = {"overridden_by": None, "rules": list(record.rules)}
    record.overridden_by = actor
    record.override_reason = reason.strip()
    record.overridden_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="compliance.override",
        entity="compliance_check",
        entity_id=record.id,
        before=before,
        after={"overridden_by": actor, "role": role, "rules": list(record.rules)},
        reason=record.override_reason,
    )
    session.flush()
    return record


def report(
    *,
    session: Session,
    start: date | None = None,
    end: date | None = None,
    time_zone: str | None = None,
) -> list[ReportRow]:
    """Blocked and overridden actions by day, collector and rule; ``end`` is inclusive.

    Days are local to ``time_zone`` (default: the deployment's ``ARREARS_TIME_ZONE``), so a
    Beijing bank's report does not split its evening across two UTC dates.
    """
    from arrears.config import get_settings

    tz = ZoneInfo(time_zone or get_settings().time_zone)
    start_at = datetime.combine(start, time(0), tz).astimezone(UTC) if start else None
    end_at = datetime.combine(end + timedelta(days=1), time(0), tz).astimezone(UTC) if end else None
    blocked: Counter[tuple[str, str, str]] = Counter()
    overridden: Counter[tuple[str, str, str]] = Counter()
    for at, collector, rules, overridden_by in repository.blocked_between(
        session, start=start_at, end=end_at
    ):
        aware = at if at.tzinfo else at.replace(tzinfo=UTC)
        day = aware.astimezone(tz).date().isoformat()
        for rule in rules or ["(none)"]:
            key = (day, collector, rule)
            blocked[key] += 1
            if overridden_by is not None:
                overridden[key] += 1
    return [
        ReportRow(day=d, collector=c, rule=r, blocked=n, overridden=overridden[(d, c, r)])
        for (d, c, r), n in sorted(blocked.items())
    ]
