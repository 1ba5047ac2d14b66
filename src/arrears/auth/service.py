"""Auth operations: users, sign-in, sessions, API tokens. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from arrears.auth import repository as repo
from arrears.auth.errors import SignInFailed, TooManyAttempts
from arrears.auth.models import ApiToken, SignInAttempt, User, UserSession
from arrears.auth.passwords import (
    DUMMY_HASH,
    MIN_LENGTH,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from arrears.auth.policy import Principal
from arrears.auth.schemas import UserCreate, UserUpdate
from arrears.auth.security_policy import SecurityPolicy, security_policy
from arrears.auth.sessions import (
    new_token,
    session_alive,
    throttled,
    token_alive,
    token_digest,
)
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused

TOKEN_PREFIX = "arr_"


def principal_of(user: User, *, via: str = "session", session_id: int | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name or user.username,
        agency_id=user.agency_id,
        staff_id=user.staff_id,
        locale=user.locale,
        via="token" if via == "token" else "cli" if via == "cli" else "session",
        session_id=session_id,
    )


def principal_for(*, session: Session, username: str) -> Principal:
    """The stored, active user ``username`` as the principal a CLI command acts as: role, agency
    and staff link come from the store, never from what was typed. ``BadInput`` for an unknown
    or deactivated user."""
    name = username.strip()
    user = repo.user_by_username(session, name) if name else None
    if user is None:
        raise BadInput(f"--as: no user {name!r} in the store (ARREARS_USER or --as USERNAME)")
    if not user.active:
        raise BadInput(f"--as: user {name!r} is deactivated")
    return principal_of(user, via="cli")


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadInput(f"password: at least {MIN_LENGTH} characters")


def _check_agency(role: str, agency_id: int | None) -> None:
    if role == "agency_user" and agency_id is None:
        raise BadInput("agency_id: an agency user must belong to an agency")
    if role != "agency_user" and agency_id is not None:
        raise BadInput("agency_id: only agency users belong to an agency")


def _user_state(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "agency_id": user.agency_id,
        "staff_id": user.staff_id,
        "locale": user.locale,
        "active": user.active,
    }


def create_user(*, session: Session, data: UserCreate, actor: str) -> tuple[User, str]:
    """Create a user; returns it and its (possibly generated) password, shown once."""
    if repo.user_by_username(session, data.username) is not None:
        raise Conflict(f"username {data.username!r} is taken")
    _check_agency(data.role, data.agency_id)
    password = data.password or generate_password()
    _check_password(password)
    now = clock.now()
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        password_hash=hash_password(password),
        role=data.role,
        agency_id=data.agency_id,
        staff_id=data.staff_id,
        locale=data.locale,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after=_user_state(user),
    )
    return user, password


def get_user(*, session: Session, user_id: int) -> User:
    user = repo.user_by_id(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def update_user(*, session: Session, user_id: int, data: UserUpdate, actor: str) -> User:
    user = get_user(session=session, user_id=user_id)
    before = _user_state(user)
    changes = data.model_dump(exclude_unset=True)
    role = changes.get("role", user.role)
    agency_id = changes.get("agency_id", user.agency_id)
    if role != "agency_user" and "agency_id" not in changes:
        agency_id = None
    _check_agency(role, agency_id)
    for key, value in changes.items():
        setattr(user, key, value)
    user.role, user.agency_id = role, agency_id
    if user.active is False:
        _end_all_sessions(session, user.id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=_user_state(user),
    )
    return user


def reset_password(
    *, session: Session, user_id: int, actor: str, password: str | None = None
) -> str:
    """Set a new password (generated unless given), end the user's sessions; returns it once."""
    user = get_user(session=session, user_id=user_id)
    new = password or generate_password()
    _check_password(new)
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    _end_all_sessions(session, user.id)
    session.flush()
    audit.record(
        session, actor=actor, action="user.reset_password", entity="user", entity_id=user.id
    )
    return new


def set_locale(*, session: Session, user_id: int, locale: str) -> None:
    if locale not in ("en", "zh-CN"):
        raise BadInput(f"locale: {locale!r} is not one of en, zh-CN")
    get_user(session=session, user_id=user_id).locale = locale
    session.flush()


def _end_all_sessions(session: Session, user_id: int) -> None:
    now = clock.now()
    for live in repo.live_sessions_of(session, user_id):
        live.ended_at = now


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    ip: str,
    policy: SecurityPolicy | None = None,
) -> tuple[User, str]:
    """Check the password and open a session; returns the user and the cookie token.

    Raises ``TooManyAttempts`` once the policy's failures for this username (from any address)
    or from this address (for any username) fall in the window, checked before the password so
    a throttled guess learns nothing; ``SignInFailed`` for a wrong username, password or a
    deactivated user. ``ip`` is the client as ``ARREARS_TRUSTED_PROXIES`` allows us to know it.
    """
    limits = (policy or security_policy()).sign_in
    username = username.strip().lower()
    now = clock.now()
    since = now - limits.window
    if throttled(
        username_failures=repo.failures_for_username(session, username=username, since=since),
        address_failures=repo.failures_from_address(session, ip=ip, since=since),
        per_username=limits.failures_per_username,
        per_address=limits.failures_per_address,
    ):
        raise TooManyAttempts("too many sign-in attempts: try again later")
    user = repo.user_by_username(session, username)
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    session.add(SignInAttempt(username=username, ip=ip, at=now, succeeded=ok))
    if not ok or user is None:
        session.flush()
        raise SignInFailed("wrong username or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=ip,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=f"user:{user.username}",
        action="user.sign_in",
        entity="user",
        entity_id=user.id,
    )
    return user, token


def resolve_session(
    *, session: Session, token: str, policy: SecurityPolicy | None = None
) -> Principal | None:
    """The principal behind a session cookie, or None if unknown, ended or expired."""
    rules = (policy or security_policy()).sessions.rules
    found = repo.session_by_token_hash(session, token_digest(token))
    if found is None:
        return None
    live, user = found
    now = clock.now()
    if live.ended_at is not None or not user.active:
        return None
    if not session_alive(
        created_at=live.created_at, last_seen_at=live.last_seen_at, now=now, rules=rules
    ):
        live.ended_at = now
        session.flush()
        return None
    if now - live.last_seen_at >= rules.touch_every:
        live.last_seen_at = now
        session.flush()
    return principal_of(user, session_id=live.id)


def end_session(*, session: Session, token: str) -> None:
    found = repo.session_by_token_hash(session, token_digest(token))
    if found is not None and found[0].ended_at is None:
        found[0].ended_at = clock.now()
        session.flush()


def token_lifetime(days: int | None, policy: SecurityPolicy | None = None) -> int:
    """The lifetime in days a token request gets: the policy's default when none is asked for;
    longer than the policy's maximum is refused (a rule, not a malformed request: 409)."""
    limits = (policy or security_policy()).api_tokens
    if days is None:
        return limits.default_days
    if days < 1:
        raise BadInput(f"days: a token lives at least 1 day (got {days})")
    if days > limits.max_days:
        raise RuleRefused(
            f"days: {days} is longer than the security policy allows "
            f"(at most {limits.max_days} days)"
        )
    return days


def issue_api_token(
    *,
    session: Session,
    user_id: int,
    name: str,
    days: int | None,
    actor: str,
    policy: SecurityPolicy | None = None,
) -> tuple[ApiToken, str]:
    """A new bearer token for ``user_id``; the secret is returned once and stored hashed.
    Every token expires: ``days`` (None: the policy's default), at most the policy's maximum."""
    lifetime = token_lifetime(days, policy)
    get_user(session=session, user_id=user_id)
    secret = new_token(TOKEN_PREFIX)
    now = clock.now()
    token = ApiToken(
        user_id=user_id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=lifetime),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_token.issue",
        entity="api_token",
        entity_id=token.id,
        after={
            "user_id": user_id,
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return token, secret


def revoke_api_token(*, session: Session, user_id: int, token_id: int, actor: str) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()
        audit.record(
            session, actor=actor, action="api_token.revoke", entity="api_token", entity_id=token_id
        )


def resolve_api_token(
    *, session: Session, secret: str, policy: SecurityPolicy | None = None
) -> Principal | None:
    """The principal behind a bearer token, or None if unknown, revoked or expired."""
    found = repo.api_token_by_hash(session, token_digest(secret))
    if found is None:
        return None
    token, user = found
    policy = policy or security_policy()
    now = clock.now()
    if token.revoked_at is not None or not user.active:
        return None
    if not token_alive(
        created_at=token.created_at,
        expires_at=token.expires_at,
        now=now,
        max_lifetime=timedelta(days=policy.api_tokens.max_days),
    ):
        return None
    touch_every = policy.sessions.rules.touch_every
    if token.last_used_at is None or now - token.last_used_at >= touch_every:
        token.last_used_at = now
        session.flush()
    return principal_of(user, via="token")


def audit_unmask(
    *,
    session: Session,
    principal: Principal,
    entity: str,
    entity_id: object,
    field: str,
    at: datetime | None = None,
) -> None:
    """Write the audit event that every reveal of a masked field requires."""
    audit.record(
        session,
        actor=principal.actor,
        action="pii.unmask",
        entity=entity,
        entity_id=entity_id,
        after={"field": field},
        at=at,
    )
