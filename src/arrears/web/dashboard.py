"""The team lead's dashboard: bucket mix, roll rates, recovery, the experiments measured on the
accounts each test targets (from the warehouse) and the collectors' KPIs (contact and RPC rates,
promise-kept rate, recovered amounts), drawn with the analytics domain's own charts. A part
that cannot be computed yet says so; the page still renders."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from arrears.analytics import repository as analytics_repository
from arrears.analytics import service as analytics_service
from arrears.analytics.kpis import collector_kpis, self_service_share
from arrears.analytics.report import ReportData, report_charts
from arrears.auth.dependencies import DbSession, require
from arrears.auth.models import User
from arrears.auth.policy import Principal
from arrears.kit.clock import center_today
from arrears.kit.errors import ArrearsError
from arrears.web.context import current_locale
from arrears.web.i18n import gettext_
from arrears.web.templating import render
from arrears.workbench import team_view
from arrears.workforce.models import Staff

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# The warehouse figures change once a day: keep them per (file, mtime) in this process.
WarehouseParts = tuple[dict[str, Any], list[Any], dict[str, Any]]
_warehouse_cache: dict[tuple[str, float], tuple[WarehouseParts, str]] = {}


def _warehouse_parts(path: Path) -> tuple[WarehouseParts, str]:
    """Rolls and recovery, and the experiments (on each test's targeted accounts), each computed
    on its own so one that cannot be yet leaves the other; with why a part is empty."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return ({}, [], {}), f"no warehouse at {path} yet: run an import and the cycle"
    if key in _warehouse_cache:
        return _warehouse_cache[key]
    notes: list[str] = []
    rolls: dict[str, Any] = {}
    recovery: list[Any] = []
    arms: dict[str, Any] = {}
    try:
        with analytics_repository.warehouse(path) as con:
            try:
                rolls = analytics_service.rolls(con=con)
                recovery = analytics_service.recovery(con=con)
            except (ArrearsError, duckdb.Error) as exc:
                notes.append(_why(exc))
            arms = analytics_service.champion_challenger(con=con)
    except (ArrearsError, duckdb.Error) as exc:
        notes.append(_why(exc))
    _warehouse_cache.clear()
    _warehouse_cache[key] = ((rolls, recovery, arms), "; ".join(notes))
    return _warehouse_cache[key]


def _why(exc: Exception) -> str:
    return exc.message if isinstance(exc, ArrearsError) else str(exc).splitlines()[0]


def _team_actors(session: Session, principal: Principal) -> set[str] | None:
    """Audit names of the lead's team members; None (everyone) for roles scoped to all."""
    if principal.role != "team_lead":
        return None
    if principal.staff_id is None:
        return set()
    team = select(Staff.team_id).where(Staff.id == principal.staff_id).scalar_subquery()
    names = session.scalars(
        select(User.username).join(Staff, Staff.id == User.staff_id).where(Staff.team_id == team)
    ).all()
    return {f"user:{n}" for n in names}


def _kpis(session: Session, principal: Principal) -> tuple[list[dict[str, Any]], str]:
    try:
        attempts, promises, checks, money = analytics_repository.kpi_rows(session)
    except (ArrearsError, SQLAlchemyError) as exc:
        session.rollback()
        return [], exc.message if isinstance(exc, ArrearsError) else type(exc).__name__
    team = _team_actors(session, principal)
    if team is not None:
        attempts = [a for a in attempts if a.collector in team]
        promises = [p for p in promises if p.collector in team]
        checks = [c for c in checks if c.collector in team]
        money = [m for m in money if m.collector in team]
    return (
        collector_kpis(attempts=attempts, promises=promises, compliance=checks, recoveries=money),
        "",
    )


def _self_service(session: Session) -> tuple[list[dict[str, Any]], str]:
    """The share of promises, plans and settlements customers made themselves (the portal),
    over the whole center: a customer is no team's."""
    try:
        return self_service_share(analytics_repository.arrangement_rows(session)), ""
    except (ArrearsError, SQLAlchemyError) as exc:
        session.rollback()
        return [], exc.message if isinstance(exc, ArrearsError) else type(exc).__name__


def _in_viewers_language(figure_json: str) -> str:
    """The figure's own words (title, axis titles, legend names) through the catalog: the
    analytics charts are written in English, the page is read in the viewer's language."""
    figure = json.loads(figure_json)
    layout = figure.get("layout", {})
    for key in [k for k in layout if k == "title" or k.startswith(("xaxis", "yaxis"))]:
        holder = layout[key] if key != "title" else layout
        title = holder.get("title") if key != "title" else layout.get("title")
        if isinstance(title, dict) and isinstance(title.get("text"), str):
            title["text"] = gettext_(title["text"])
    for trace in figure.get("data", []):
        if isinstance(trace.get("name"), str):
            trace["name"] = gettext_(trace["name"])
    return json.dumps(figure)


def _agencies(session: Session) -> tuple[dict[str, Any], str]:
    try:
        return analytics_service.agency_performance(session=session), ""
    except (ArrearsError, SQLAlchemyError) as exc:
        session.rollback()
        return {}, exc.message if isinstance(exc, ArrearsError) else type(exc).__name__


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("dashboard.read")),
) -> Response:
    settings = request.app.state.settings
    (rolls, recovery, arms), warehouse_note = _warehouse_parts(Path(settings.warehouse))
    kpis, kpi_note = _kpis(session, principal)
    agencies, agency_note = _agencies(session)
    self_service, self_service_note = _self_service(session)
    data = ReportData(
        rolls=rolls,
        recovery=recovery,
        kpis=kpis,
        arms=arms,
        agencies=agencies,
        source="warehouse",
    )
    wanted = {"bucket-mix", "roll-heatmap", "recovery", "kpis", "arms", "agencies"}
    # The charts' own words and months in the viewer's language, from the builders (a cohort's
    # legend, "entered 2026-08 (n)", is no message id once formatted).
    charts = [
        c
        for c in report_charts(data, words=gettext_, locale=current_locale.get())
        if c.key in wanted
    ]
    return render(
        request,
        "dashboard.html",
        {
            # Figures as JSON data, drawn by /static/charts.js: the CSP admits no inline script.
            "charts": [
                {
                    # Through the catalog here, not in the template: Jinja's gettext would
                    # read the "%" in "95% interval" as a placeholder.
                    "title": gettext_(c.title),
                    "key": c.key,
                    "figure": _in_viewers_language(c.figure.to_json())
                    if c.figure is not None
                    else None,
                    "note": gettext_(c.note) if c.note else c.note,
                }
                for c in charts
            ],
            "kpis": kpis,
            "self_service": self_service,
            "agencies": agencies.get("groups", []),
            "experiments": arms.get("tests", []),
            "minimum_effect": arms.get("minimum_effect"),
            "notes": [
                gettext_(n) for n in (warehouse_note, kpi_note, agency_note, self_service_note) if n
            ],
        },
    )


@router.get("/team")
def team_today(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("dashboard.read")),
) -> Response:
    """The supervisor's real-time view of the team (``workbench.team_view``)."""
    return render(
        request,
        "team.html",
        {
            "rows": team_view.team_view(session=session, principal=principal),
            "today": center_today().isoformat(),
        },
    )
