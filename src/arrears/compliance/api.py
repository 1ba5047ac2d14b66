"""JSON API of the compliance engine: ask a question, read profiles, override, report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.compliance import service
from arrears.compliance.engine import decide_scenario
from arrears.compliance.profile import Profile, load_profile, profile_names
from arrears.compliance.reasons import in_locale
from arrears.compliance.schemas import BlockedCheck, Decision, ReportRow, Scenario
from arrears.compliance.zones import known_zone
from arrears.kit.errors import BadInput, NotFound
from arrears.kit.schema_types import Body, Id

router = APIRouter(prefix="/compliance", tags=["compliance"])


class OverrideIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class OverrideOut(BaseModel):
    id: int
    overridden_by: str
    rules: list[str]


def _shipped(name: str) -> str:
    # Only shipped names over HTTP: a path would let a caller read files on the server.
    if name not in profile_names():
        raise NotFound(f"no compliance profile {name!r}; shipped: {', '.join(profile_names())}")
    return name


@router.post("/check")
def check(
    body: Scenario,
    profile: str | None = Query(default=None, description="shipped profile name"),
    principal: Principal = Depends(require("compliance.check")),
) -> Decision:
    """Decide a scenario (the CLI's format). Nothing is recorded: this is the auditor's tool."""
    if body.profile is not None:
        _shipped(body.profile)
    chosen = load_profile(_shipped(profile)) if profile else None
    return in_locale(decide_scenario(body, profile=chosen), principal.locale)


class ProfileName(BaseModel):
    name: str
    title: str


@router.get("/profiles", response_model=list[ProfileName])
def profiles(principal: Principal = Depends(require("compliance.read"))) -> list[ProfileName]:
    return [ProfileName(name=n, title=load_profile(n).title) for n in profile_names()]


@router.get("/profiles/{name}", response_model=Profile)
def show_profile(name: str, principal: Principal = Depends(require("compliance.read"))) -> Profile:
    """A shipped profile with every default resolved."""
    return load_profile(_shipped(name))


@router.post("/checks/{check_id}/override")
def override(
    check_id: Id,
    body: OverrideIn,
    session: DbSession,
    principal: Principal = Depends(require("compliance.override")),
) -> OverrideOut:
    """Let a blocked action go ahead: compliance officers, with a reason; audited."""
    record = service.override(
        session=session,
        check_id=check_id,
        actor=principal.actor,
        role=principal.role,
        reason=body.reason,
    )
    return OverrideOut(id=record.id, overridden_by=record.overridden_by or "", rules=record.rules)


@router.get("/report")
def report(
    session: DbSession,
    from_: date | None = Query(default=None, alias="from"),
    to: date | None = Query(default=None),
    tz: str | None = Query(default=None, description="zone the days are counted in"),
    principal: Principal = Depends(require("compliance.read")),
) -> list[ReportRow]:
    """Refused and overridden actions by contact day, actor, stage and rule."""
    _period_ok(from_, to, tz)
    return service.report(session=session, start=from_, end=to, time_zone=tz)


def _period_ok(start: date | None, end: date | None, tz: str | None) -> None:
    if start and end and end < start:
        raise BadInput("to is before from")
    if tz is not None and not known_zone(tz):
        raise BadInput(f"tz: unknown time zone {tz!r}")


@router.get("/blocked")
def blocked(
    session: DbSession,
    from_: date | None = Query(default=None, alias="from"),
    to: date | None = Query(default=None),
    tz: str | None = Query(default=None, description="zone the days are counted in"),
    actor: str | None = None,
    stage: Literal["engine", "workflow", "relay"] | None = None,
    rule: str | None = None,
    ids: list[int] | None = Query(default=None, alias="id", description="a report row's checks"),
    principal: Principal = Depends(require("compliance.read")),
) -> list[BlockedCheck]:
    """The refused actions behind the report (its drill-down), with next-allowed times in the
    center's zone and in each zone the debtor may be in; reasons in the Accept-Language."""
    _period_ok(from_, to, tz)
    return service.blocked(
        session=session,
        start=from_,
        end=to,
        time_zone=tz,
        actor=actor,
        stage=stage,
        rule=rule,
        ids=ids,
        locale=principal.locale,
    )
