"""Jinja2 rendering. Every page's context passes through the masking layer before rendering."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from arrears.auth.policy import Principal
from arrears.kit import wording
from arrears.kit.clock import center_today
from arrears.kit.money import to_decimal
from arrears.web import flash
from arrears.web.context import current_locale
from arrears.web.i18n import gettext_, ngettext_, pick
from arrears.web.responses import masked_for_viewer

TEMPLATES = Path(__file__).parent / "templates"


def _money(value: Decimal | str | None, currency: str = "") -> str:
    """The one amount format (Babel, ``kit.wording``): grouped, the currency's decimals."""
    if value is None or value == "":
        return ""
    text = wording.amount(to_decimal(value), currency or "CNY", current_locale.get())
    return f"{text} {currency}".strip()


def _local(value: datetime | date | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _build() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals["pick"] = pick
    env.filters["money"] = _money
    env.filters["local"] = _local
    # Text the system wrote in English (a follow-up's note): the catalog's words if it has
    # them, else as stored (what a person typed); no %-formatting, unlike ``_()``.
    env.filters["catalog"] = gettext_
    return env


environment = _build()


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``name`` with the masked ``context`` plus what every page needs."""
    principal = getattr(request.state, "principal", None)
    settings = request.app.state.settings
    full: dict[str, Any] = dict(masked_for_viewer(context or {}))
    full.update(
        request=request,
        principal=principal if isinstance(principal, Principal) else None,
        csrf_token=getattr(request.state, "csrf_token", ""),
        locale=getattr(request.state, "locale", settings.locale),
        time_zone=settings.time_zone,
        today=center_today().isoformat(),  # date inputs offer no day before the center's today
        nav=_nav(principal if isinstance(principal, Principal) else None, request),
        assets=request.app.state.assets,
        flash=flash.read(request),
    )
    html = environment.get_template(name).render(full)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if full["flash"]:
        response.delete_cookie(flash.FLASH_COOKIE, path="/")  # shown once
    return response


# (permission, path, label) — the nav shows what the role may open, nothing more.
NAV: tuple[tuple[str, str, str], ...] = (
    ("queue.read", "/queue", "My queue"),
    ("case.read", "/cases", "Cases"),  # for roles without a queue (see _nav)
    ("case.escalated.read", "/queue?view=escalated", "Escalated"),
    ("settlement.approve", "/approvals", "Approvals"),
    ("legal.work", "/legal", "Legal"),
    ("dashboard.read", "/dashboard", "Dashboard"),
    ("dashboard.read", "/team", "Team today"),
    ("compliance.read", "/compliance", "Compliance"),
    ("audit.read", "/compliance/audit", "Audit"),
    ("users.manage", "/admin/users", "Users"),
    ("staff.manage", "/admin/staff", "Staff"),
    ("cycle.read", "/admin/runs", "Cycle runs"),
    ("tokens.manage", "/tokens", "API tokens"),
)


def _nav(principal: Principal | None, request: Request) -> list[dict[str, str]]:
    if principal is None:
        return []
    pages = request.app.state.page_paths
    return [
        {"path": path, "label": gettext_(label)}
        for permission, path, label in NAV
        if principal.can(permission)
        and path.split("?", 1)[0] in pages
        # A role with a queue searches it; the case list is for those who only read cases.
        and not (path == "/cases" and principal.can("queue.read"))
    ]
