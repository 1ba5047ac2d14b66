"""The supervisor's real-time view of the team: who is on which case (their latest contact
today), calls, all contacts and promises today, blocks today, and cases waiting, per member (a
team lead: their team; a role that sees every case: everyone). Reads only; "today" is the
center's day."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.auth import repository as auth_repository
from arrears.auth.policy import Principal
from arrears.cases.repository import WORKABLE
from arrears.config import get_settings
from arrears.contacts import repository as contact_repository
from arrears.kit.clock import center_today
from arrears.promises import repository as promise_repository
from arrears.workforce import repository as workforce_repository


def team_view(*, session: Session, principal: Principal) -> list[dict[str, Any]]:
    """One row per active member of the caller's team (fail closed: none without a scope)."""
    if principal.case_scope == "all":
        team_id = None
    elif principal.case_scope == "team" and principal.staff_id is not None:
        own = workforce_repository.staff_by_id(session, principal.staff_id)
        if own is None or own.team_id is None:
            return []
        team_id = own.team_id
    else:
        return []
    members = workforce_repository.team_members(session, team_id=team_id)
    ids = [m.id for m in members]
    users = auth_repository.usernames_by_staff(session, ids)
    actors = [f"user:{name}" for name in users.values()]
    today = center_today()
    zone = ZoneInfo(get_settings().time_zone)
    since = datetime.combine(today, time(0), zone)
    attempts = contact_repository.attempts_by_actor_since(session, actors=actors, since=since)
    calls = contact_repository.calls_made_by_actor_since(session, actors=actors, since=since)
    promises = promise_repository.promises_taken_since(session, actors=actors, since=since)
    on_case = contact_repository.latest_case_by_actor_since(session, actors=actors, since=since)
    waiting = workforce_repository.cases_waiting_by_staff(
        session, staff_ids=ids, workable=WORKABLE, today=today
    )
    rows = []
    for member in members:
        actor = f"user:{users[member.id]}" if member.id in users else None
        done = attempts.get(actor, {}) if actor else {}
        case = on_case.get(actor) if actor else None
        rows.append(
            {
                "code": member.code,
                "name": member.name,
                "grade": member.grade,
                "user": users.get(member.id),
                "case_id": case,
                # Contacts made on any channel; the telephone calls among them apart.
                "calls": done.get("made", 0),
                "phone_calls": calls.get(actor, 0) if actor else 0,
                "blocks": done.get("blocked", 0),
                "promises": promises.get(actor, 0) if actor else 0,
                "waiting": waiting.get(member.id, 0),
            }
        )
    return rows
