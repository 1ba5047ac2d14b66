"""The compliance officer's pages: blocked and overridden actions (with the override form),
audit search, and the jurisdiction profile viewer. Decisions stay in ``compliance.service``."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.compliance import service as compliance_service
from arrears.compliance.models import STAGES
from arrears.compliance.profile import load_profile, profile_names
from arrears.compliance.reasons import message_in
from arrears.kit import audit, csvsafe
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, NotFound
from arrears.kit.schema_types import Offset
from arrears.web import flash
from arrears.web.responses import masked_for_viewer
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 200
EXPORT_LIMIT = 100_000  # an export is a file for an auditor, not a dump of the store


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/compliance")
def blocked_actions(
    request: Request,
    session: DbSession,
    rule: str | None = None,
    actor: str | None = None,
    stage: str | None = None,
    day: str | None = None,
    show: str = "all",
    principal: Principal = Depends(require("compliance.read")),
) -> Response:
    """Refused actions (the drill-down of the summary below them: a row's link filters by its
    day, actor, stage and rule), with next-allowed times in the center's and debtor's zones."""
    overridden = {"overridden": True, "open": False}.get(show)
    on = _day(day)
    checks = compliance_service.blocked(
        session=session,
        start=on,
        end=on,
        rule=rule or None,
        actor=actor or None,
        stage=stage if stage in STAGES else None,
        overridden=overridden,
        limit=PAGE,
        locale=principal.locale,
    )
    today = clock.today()
    summary = compliance_service.report(session=session, start=today - timedelta(days=6), end=today)
    return render(
        request,
        "compliance.html",
        {
            "checks": [c.model_dump() for c in checks],
            "summary": [
                row.model_dump()
                | {
                    "drill": "/compliance?"
                    + urlencode(
                        {"day": row.day, "actor": row.actor, "stage": row.stage, "rule": row.rule}
                    )
                }
                for row in summary
            ],
            "stages": STAGES,
            "filters": {
                "rule": rule or "",
                "actor": actor or "",
                "stage": stage or "",
                "day": day or "",
                "show": show,
            },
            "can_override": principal.can("compliance.override"),
            "error": flash.read(request).get("error"),
            "done": flash.read(request).get("done"),
        },
    )


@router.post("/compliance/checks/{check_id}/override")
def override(
    check_id: int,
    session: DbSession,
    reason: Annotated[str, Form()],
    principal: Principal = Depends(require("compliance.override")),
) -> Response:
    try:
        compliance_service.override(
            session=session,
            check_id=check_id,
            actor=principal.actor,
            role=principal.role,
            reason=reason,
        )
    except ArrearsError as exc:
        session.rollback()
        return flash.redirect("/compliance", error=message_in(exc, principal.locale))
    return flash.redirect("/compliance", done=check_id)


def _audit_filters(
    actor: str | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    since: str | None,
    until: str | None,
) -> dict[str, Any]:
    start, end = _day(since), _day(until)
    return {
        "actor": actor or None,
        "action": action or None,
        "entity": entity or None,
        "entity_id": entity_id or None,
        "since": datetime.combine(start, time(0), UTC) if start else None,
        "until": datetime.combine(end + timedelta(days=1), time(0), UTC) if end else None,
    }


def _event(e: audit.AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
    }


@router.get("/compliance/audit")
def audit_search(
    request: Request,
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    offset: Offset = 0,
    _: Principal = Depends(require("audit.read")),
) -> Response:
    where = _audit_filters(actor, action, entity, entity_id, since, until)
    events = audit.search(session, **where, limit=PAGE, offset=offset)
    filters = {
        "actor": actor or "",
        "action": action or "",
        "entity": entity or "",
        "entity_id": entity_id or "",
        "since": since or "",
        "until": until or "",
    }
    return render(
        request,
        "audit.html",
        {
            "events": [_event(e) for e in events],
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "total": audit.count(session, **where),
            "offset": offset,
            "page": PAGE,
        },
    )


@router.get("/compliance/audit.csv")
def audit_export(
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    principal: Principal = Depends(require("audit.read")),
) -> Response:
    """Every event the search matches (up to EXPORT_LIMIT), as CSV through the formula-safe
    writer and the viewer's masking; the export itself is audited."""
    where = _audit_filters(actor, action, entity, entity_id, since, until)
    events = masked_for_viewer(
        [_event(e) for e in audit.search(session, **where, limit=EXPORT_LIMIT)]
    )
    buffer = io.StringIO(newline="")
    out = csvsafe.writer(buffer)
    out.writerow(
        ["id", "at", "actor", "action", "entity", "entity_id", "before", "after", "reason"]
    )
    for e in events:
        out.writerow(
            [
                e["id"],
                e["at"].isoformat(),
                e["actor"],
                e["action"],
                e["entity"],
                e["entity_id"],
                json.dumps(e["before"], ensure_ascii=False) if e["before"] else "",
                json.dumps(e["after"], ensure_ascii=False) if e["after"] else "",
                e["reason"] or "",
            ]
        )
    audit.record(
        session,
        actor=principal.actor,
        action="audit.export",
        entity="audit_event",
        entity_id="search",
        after={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in where.items()}
        | {"rows": len(events)},
    )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/compliance/profiles")
def profiles(
    request: Request,
    name: str | None = None,
    _: Principal = Depends(require("compliance.read")),
) -> Response:
    names = profile_names()
    chosen = name or (names[0] if names else None)
    if chosen is not None and chosen not in names:
        raise NotFound(f"no compliance profile {chosen!r}")
    text = ""
    title = ""
    if chosen:
        loaded = load_profile(chosen)
        title = loaded.title
        text = yaml.safe_dump(loaded.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    return render(
        request,
        "compliance_profiles.html",
        {"names": names, "chosen": chosen, "title": title, "text": text},
    )
