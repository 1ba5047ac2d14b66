"""Every query the auth domain runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.auth.models import ApiToken, SignInAttempt, User, UserSession


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def session_by_token_hash(session: Session, token_hash: str) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def api_token_by_hash(session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def api_tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def live_sessions_of(session: Session, user_id: int) -> Sequence[UserSession]:
    return session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()


def failures_for_username(session: Session, *, username: str, since: datetime) -> int:
    """Failed sign-ins for ``username`` since ``since``, from any address."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(
                SignInAttempt.username == username,
                SignInAttempt.at >= since,
                SignInAttempt.succeeded.is_(False),
            )
        )
        or 0
    )


def failures_from_address(session: Session, *, ip: str, since: datetime) -> int:
    """Failed sign-ins from ``ip`` since ``since``, for any username."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(
                SignInAttempt.ip == ip,
                SignInAttempt.at >= since,
                SignInAttempt.succeeded.is_(False),
            )
        )
        or 0
    )


def usernames_by_staff(session: Session, staff_ids: Sequence[int]) -> dict[int, str]:
    """The active user linked to each staff row (the audit trail names them ``user:NAME``)."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(User.staff_id, User.username).where(
            User.staff_id.in_(staff_ids), User.active.is_(True)
        )
    ).all()
    return {int(staff_id): name for staff_id, name in rows if staff_id is not None}
