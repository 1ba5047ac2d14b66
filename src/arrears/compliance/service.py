"""Compliance operations: decide and record, record a workflow refusal, override, report and
its drill-down. Flushes, never commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.compliance import repository
from arrears.compliance.engine import HistoryIndex, decide, person_zones
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.profile import Profile
from arrears.compliance.reasons import Reason, dumped, localized, refusal
from arrears.compliance.schemas import (
    Attempt,
    BlockedCheck,
    Consent,
    Debtor,
    Decision,
    LocalTime,
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
    acted_by: str | None = None,
    stage: str = "engine",
) -> tuple[Decision, ComplianceCheck]:
    """Decide ``proposed``, record the decision, and apply an override if one is asked for.

    ``acted_by`` is the real actor the report names (a staff code, ``agency:CODE``; default
    ``actor``); ``stage`` who asked (``engine`` for the contact flow, ``relay`` for the outbox).
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
            stage=stage,
            acted_by=acted_by or actor,
            debtor_zones=list(person_zones(profile=profile, person=person, proposed=proposed)),
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


def record_block(
    *,
    session: Session,
    asked: ComplianceCheck,
    rules: Sequence[str],
    reason: str,
    reasons: Sequence[Reason] = (),
    next_allowed_at: datetime | None,
) -> ComplianceCheck:
    """Record a refusal by a workflow gate after the engine allowed (``asked``: the engine's
    check of the same action), so every refused action has a check, whatever stage refused."""
    return repository.add(
        session,
        ComplianceCheck(
            at=clock.now(),
            action_at=asked.action_at,
            profile=asked.profile,
            collector=asked.collector,
            actor=asked.actor,
            acted_by=asked.acted_by,
            person_ref=asked.person_ref,
            channel=asked.channel,
            proposed=asked.proposed,
            allowed=False,
            rules=list(rules),
            reason=reason,
            reasons=dumped(reasons) or None,
            next_allowed_at=next_allowed_at,
            stage="workflow",
            debtor_zones=asked.debtor_zones,
        ),
    )


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
    if record.stage == "workflow":
        raise refusal(
            RuleRefused,
            Reason(
                rule="override.workflow",
                params={"check": check_id, "rules": list(record.rules or [])},
            ),
        )
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


def _period(
    start: date | None, end: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """Inclusive local days as a half-open UTC range."""
    start_at = datetime.combine(start, time(0), tz).astimezone(UTC) if start else None
    end_at = datetime.combine(end + timedelta(days=1), time(0), tz).astimezone(UTC) if end else None
    return start_at, end_at


def _center_zone(time_zone: str | None) -> ZoneInfo:
    from arrears.config import get_settings

    return ZoneInfo(time_zone or get_settings().time_zone)


def report(
    *,
    session: Session,
    start: date | None = None,
    end: date | None = None,
    time_zone: str | None = None,
) -> list[ReportRow]:
    """Refused and overridden actions by contact day, real actor, stage and rule; ``end`` is
    inclusive. Each row lists the checks it counts (the drill-down).

    Days are the contact's (``action_at``, not when the check ran: a late entry counts on the
    day it was made), local to ``time_zone`` (default: the center's ``ARREARS_TIME_ZONE``), so a
    Beijing bank's report does not split its evening across two UTC dates.
    """
    tz = _center_zone(time_zone)
    start_at, end_at = _period(start, end, tz)
    checks: dict[tuple[str, str, str, str], list[int]] = {}
    overridden: Counter[tuple[str, str, str, str]] = Counter()
    for check_id, action_at, actor, stage, rules, overridden_by in repository.blocked_between(
        session, start=start_at, end=end_at
    ):
        day = _aware(action_at).astimezone(tz).date().isoformat()
        for rule in rules or ["(none)"]:
            key = (day, actor, stage, rule)
            checks.setdefault(key, []).append(check_id)
            if overridden_by is not None:
                overridden[key] += 1
    return [
        ReportRow(
            day=d,
            actor=a,
            stage=st,
            rule=r,
            blocked=len(ids),
            overridden=overridden[(d, a, st, r)],
            checks=ids,
        )
        for (d, a, st, r), ids in sorted(checks.items())
    ]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _local(at: datetime, zone: str) -> LocalTime:
    return LocalTime(zone=zone, at=_aware(at).astimezone(ZoneInfo(zone)).isoformat())


def blocked_view(record: ComplianceCheck, *, center: str, locale: str = "en") -> BlockedCheck:
    """A refused action for the drill-down, its times in the center's and the debtor's zones,
    its reason in ``locale``."""
    nxt = record.next_allowed_at
    return BlockedCheck(
        id=record.id,
        contact_at=_aware(record.action_at),
        contact_at_center=_local(record.action_at, center),
        day=_aware(record.action_at).astimezone(ZoneInfo(center)).date().isoformat(),
        actor=record.acted_by or record.actor,
        collector=record.collector,
        stage=record.stage,
        channel=record.channel,
        person=record.person_ref,
        rules=list(record.rules or []),
        reason=localized(record.reasons, record.reason, locale),
        next_allowed_at=_aware(nxt) if nxt else None,
        next_allowed_center=_local(nxt, center) if nxt else None,
        next_allowed_debtor=[_local(nxt, z) for z in record.debtor_zones or []] if nxt else [],
        overridden_by=record.overridden_by,
        override_reason=record.override_reason,
    )


def blocked(
    *,
    session: Session,
    start: date | None = None,
    end: date | None = None,
    time_zone: str | None = None,
    actor: str | None = None,
    stage: str | None = None,
    rule: str | None = None,
    overridden: bool | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 200,
    locale: str = "en",
) -> list[BlockedCheck]:
    """The refused actions behind the report's rows (same days, same actor names), their
    reasons in ``locale``."""
    tz = _center_zone(time_zone)
    start_at, end_at = _period(start, end, tz)
    rows = repository.blocked_checks(
        session,
        rule=rule,
        actor=actor,
        stage=stage,
        overridden=overridden,
        start=start_at,
        end=end_at,
        ids=ids,
        limit=limit,
    )
    return [blocked_view(r, center=str(tz.key), locale=locale) for r in rows]
