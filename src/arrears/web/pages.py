"""Server-rendered pages (Jinja2 + HTMX): sign-in, language, admin users, the workbench."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import ValidationError
from sqlalchemy.orm import Session

from arrears.auth import repository as auth_repo
from arrears.auth import service as auth_service
from arrears.auth.dependencies import DbSession, OptionalUser, require
from arrears.auth.errors import SignInFailed, TooManyAttempts
from arrears.auth.policy import HOME, ROLES, Principal
from arrears.auth.schemas import ApiTokenCreate, ApiTokenOut, UserCreate, UserOut, UserUpdate
from arrears.auth.security_policy import security_policy
from arrears.cases.repository import QueueFilter
from arrears.delinquency import BUCKET_NAMES
from arrears.kit.errors import ArrearsError
from arrears.vocabulary import LEVELS
from arrears.web import flash
from arrears.web.case_actions import attempts_for_banner, case_extras
from arrears.web.security import LOCALE_COOKIE, LOCALES, SESSION_COOKIE
from arrears.web.templating import render
from arrears.workbench import case_view, queue
from arrears.workforce import repository as workforce_repository

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: an open redirect would hand phishers our sign-in page.
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target if not urlparse(target).netloc else None


def _client_ip(request: Request) -> str:
    # Resolved by the auth middleware: X-Forwarded-For counts only from ARREARS_TRUSTED_PROXIES.
    return str(getattr(request.state, "client_ip", "unknown"))


@router.get("/")
def home(principal: OptionalUser) -> Response:
    if principal is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(HOME.get(principal.role, "/queue"), status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": _safe_next(next) or "", "error": None})


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        user, token = auth_service.sign_in(
            session=session,
            username=username,
            password=password,
            ip=_client_ip(request),
            policy=request.app.state.security_policy,
        )
    except (SignInFailed, TooManyAttempts) as exc:
        # The failed attempt is recorded (committed) so the rate limit counts it.
        return render(
            request,
            "sign_in.html",
            {"next": _safe_next(next) or "", "error": exc.message, "username": username},
            status_code=exc.status_code,
        )
    target = _safe_next(next) or HOME.get(user.role, "/queue")
    response = RedirectResponse(target, status_code=303)
    secure = bool(request.app.state.secure_cookies)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(LOCALE_COOKIE, user.locale, samesite="lax", secure=secure, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.end_session(session=session, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/locale")
def switch_locale(
    request: Request,
    session: DbSession,
    principal: OptionalUser,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Switch language; stored on the user (per user), and in a cookie for the sign-in page."""
    chosen = locale if locale in LOCALES else "zh-CN"
    if principal is not None:
        auth_service.set_locale(session=session, user_id=principal.user_id, locale=chosen)
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        chosen,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
        path="/",
    )
    return response


# --- the workbench ------------------------------------------------------------------------------


@router.get("/queue")
def queue_page(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("queue.read")),
    bucket: str | None = None,
    level: str | None = None,
    search: str | None = None,
    view: str | None = None,
    offset: int = 0,
) -> Response:
    return _case_list(request, session, principal, bucket, level, search, view, offset)


@router.get("/cases")
def cases_page(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
    bucket: str | None = None,
    level: str | None = None,
    search: str | None = None,
    offset: int = 0,
) -> Response:
    """The open cases a role that reads but does not work cases may see (a compliance
    officer: all), searchable like the queue; no next case, masked like every page."""
    return _case_list(request, session, principal, bucket, level, search, None, offset)


def _case_list(
    request: Request,
    session: Session,
    principal: Principal,
    bucket: str | None,
    level: str | None,
    search: str | None,
    view: str | None,
    offset: int,
) -> Response:
    flt = QueueFilter(
        bucket=bucket or None,
        level=level or None,
        search=(search or "").strip()[:64] or None,
        view="escalated" if view == "escalated" else None,
    )
    page = queue.queue_page(
        session=session, principal=principal, flt=flt, limit=50, offset=max(0, offset)
    )
    return render(
        request,
        "queue.html",
        {
            "page": page.model_dump(),
            "filters": {"bucket": bucket or "", "level": level or "", "search": search or ""},
            "view": flt.view or "",
            "buckets": BUCKET_NAMES,
            "levels": LEVELS,
            "list_path": request.url.path,
            "works": principal.can("queue.read"),
        },
    )


@router.get("/queue/next")
def next_case(
    request: Request, session: DbSession, principal: Principal = Depends(require("queue.read"))
) -> Response:
    found = queue.next_case(session=session, principal=principal)
    if found is None:
        return flash.redirect("/queue", done="queue")
    return RedirectResponse(f"/cases/{found.id}", status_code=303)


@router.get("/cases/{work_order_id}")
def case_page(
    work_order_id: int,
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
) -> Response:
    view = case_view.case_view(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
    )
    extras = case_extras(session=session, principal=principal, view=view)
    banner = {
        "attempt": attempts_for_banner(
            session, work_order_id, _int_param(flash.read(request).get("attempt"))
        ),
        "error": flash.read(request).get("error"),
        "done": flash.read(request).get("done"),
    }
    legal = None
    if principal.can("legal.work"):  # seniors and leads open and follow the legal case here
        from arrears.web.legal_pages import legal_case_of, stage_label

        found = legal_case_of(session, work_order_id)
        legal = (
            {"open": True} if found is None else {"id": found.id, "stage": stage_label(found.stage)}
        )
    return render(
        request,
        "case.html",
        {"case": view.model_dump(), "x": extras, "banner": banner, "legal": legal},
    )


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.post("/cases/{work_order_id}/unmask")
def unmask_field(
    work_order_id: int,
    request: Request,
    session: DbSession,
    field: Annotated[str, Form()],
    item_id: Annotated[int | None, Form()] = None,
    principal: Principal = Depends(require("pii.unmask")),
) -> Response:
    """HTMX: swap the masked value for the real one (audited)."""
    revealed = case_view.unmask(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        field=field,
        item_id=item_id,
    )
    # Deliberately not through the masking layer: this is the audited reveal.
    return HTMLResponse(
        f'<span class="unmasked" data-field="{escape(field)}">{escape(revealed.value or "")}</span>'
    )


# --- admin: users -------------------------------------------------------------------------------


def _users_page(
    request: Request,
    session: Session,
    *,
    created: dict[str, str] | None = None,
    error: str | None = None,
    confirm: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    """The users admin page, with a one-time password, an error, or a question to confirm
    (deactivation) when an action set one."""
    staff = workforce_repository.list_staff(session, status="active")
    codes = {m.id: m.code for m in staff}
    return render(
        request,
        "admin_users.html",
        {
            "users": [
                {
                    **UserOut.model_validate(u).model_dump(),
                    "staff_code": codes.get(u.staff_id) if u.staff_id else None,
                }
                for u in auth_repo.list_users(session)
            ],
            "staff": [{"code": m.code, "name": m.name, "grade": m.grade} for m in staff],
            "roles": ROLES,
            "created": created,
            "error": error,
            "confirm": confirm,
        },
        status_code=status_code,
    )


def _staff_id(session: Session, code: str) -> int | None:
    """The staff row a user is linked to, by its code (empty: none)."""
    if not code.strip():
        return None
    member = workforce_repository.staff_by_code(session, code.strip())
    if member is None:
        raise ValueError(f"staff_code: no staff member {code.strip()!r}")
    return member.id


@router.get("/admin/users")
def users_page(
    request: Request, session: DbSession, _: Principal = Depends(require("users.manage"))
) -> Response:
    return _users_page(request, session)


@router.post("/admin/users")
def users_create(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
    staff_code: Annotated[str, Form()] = "",
    principal: Principal = Depends(require("users.manage")),
) -> Response:
    created: dict[str, str] | None = None
    error: str | None = None
    try:
        data = UserCreate(
            username=username.strip().lower(),
            display_name=display_name,
            role=role,
            agency_id=int(agency_id) if agency_id.strip() else None,
            staff_id=_staff_id(session, staff_code),
        )
        user, password = auth_service.create_user(session=session, data=data, actor=principal.actor)
        created = {"username": user.username, "password": password}
    except (ValidationError, ValueError) as exc:
        error = _first_error(exc)
    except ArrearsError as exc:
        session.rollback()
        error = exc.message
    return _users_page(
        request, session, created=created, error=error, status_code=201 if created else 422
    )


@router.post("/admin/users/{user_id}")
def users_update(
    user_id: int,
    request: Request,
    session: DbSession,
    action: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
    staff_code: Annotated[str | None, Form()] = None,
    confirmed: Annotated[str, Form()] = "",
    principal: Principal = Depends(require("users.manage")),
) -> Response:
    created: dict[str, str] | None = None
    error: str | None = None
    if action == "deactivate" and confirmed != "yes":
        # One click must not lock a colleague out: ask first (works without JavaScript).
        user = auth_service.get_user(session=session, user_id=user_id)
        return _users_page(request, session, confirm={"id": user.id, "username": user.username})
    try:
        if action == "reset":
            password = auth_service.reset_password(
                session=session, user_id=user_id, actor=principal.actor
            )
            user = auth_service.get_user(session=session, user_id=user_id)
            created = {"username": user.username, "password": password}
        elif action in ("role", "deactivate", "activate"):
            changes: dict[str, object] = {}
            if action == "role":
                changes["role"] = role
                changes["agency_id"] = int(agency_id) if agency_id.strip() else None
                if staff_code is not None:  # a form without the field leaves the link
                    changes["staff_id"] = _staff_id(session, staff_code)
            else:
                changes["active"] = action == "activate"
            auth_service.update_user(
                session=session,
                user_id=user_id,
                data=UserUpdate.model_validate(changes),
                actor=principal.actor,
            )
        else:
            error = f"unknown action {action!r}"
    except (ValidationError, ValueError) as exc:
        error = _first_error(exc)
    except ArrearsError as exc:
        session.rollback()
        error = exc.message
    return _users_page(
        request, session, created=created, error=error, status_code=422 if error else 200
    )


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


# --- API tokens (the caller's own) ----------------------------------------------------------


def _tokens_page(
    request: Request, session: Session, principal: Principal, **extra: object
) -> Response:
    tokens = [
        ApiTokenOut.model_validate(t).model_dump()
        for t in auth_repo.api_tokens_of(session, principal.user_id)
    ]
    context: dict[str, object] = {
        "tokens": tokens,
        "secret": None,
        "error": None,
        "limits": security_policy().api_tokens.model_dump(),
        **extra,
    }
    return render(request, "tokens.html", context)


@router.get("/tokens")
def tokens_page(
    request: Request, session: DbSession, principal: Principal = Depends(require("tokens.manage"))
) -> Response:
    return _tokens_page(request, session, principal)


@router.post("/tokens")
def tokens_issue(
    request: Request,
    session: DbSession,
    name: Annotated[str, Form()],
    days: Annotated[str, Form()] = "",
    principal: Principal = Depends(require("tokens.manage")),
) -> Response:
    try:
        data = ApiTokenCreate(name=name.strip(), days=int(days) if days.strip() else None)
        _, secret = auth_service.issue_api_token(
            session=session,
            user_id=principal.user_id,
            name=data.name,
            days=data.days,
            actor=principal.actor,
        )
    except (ValidationError, ValueError) as exc:
        return _tokens_page(request, session, principal, error=_first_error(exc))
    except ArrearsError as exc:  # e.g. longer than the security policy allows
        return _tokens_page(request, session, principal, error=exc.message)
    return _tokens_page(request, session, principal, secret=secret)


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: int,
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("tokens.manage")),
) -> Response:
    auth_service.revoke_api_token(
        session=session, user_id=principal.user_id, token_id=token_id, actor=principal.actor
    )
    return _tokens_page(request, session, principal)
