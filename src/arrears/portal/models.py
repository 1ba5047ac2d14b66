"""Portal tables: the one-time links sent to customers, the verification attempts (throttling
per address) and the portal sessions. Every secret is stored as its SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, UTCDateTime, one_of

AUDIENCES = ("debtor", "third_party")
LINK_CHANNELS = ("sms", "email", "letter")
PORTAL_LOCALES = ("en", "zh-CN")


class PortalLink(Base):
    """A link sent to a customer (or a third party) through one channel; single use."""

    __tablename__ = "portal_link"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False, index=True
    )
    audience: Mapped[str] = mapped_column(String(16), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    issued_by: Mapped[str] = mapped_column(String(120), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        CheckConstraint(one_of("audience", AUDIENCES), name="audience"),
        CheckConstraint(one_of("channel", LINK_CHANNELS), name="channel"),
        CheckConstraint("expires_at > issued_at", name="expires_after_issue"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),
    )


class PortalAttempt(Base):
    """One verification try on a link, from a client address (throttled per address)."""

    __tablename__ = "portal_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_link.id", ondelete="SET NULL"), index=True
    )
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (Index("ix_portal_attempt_ip_at", "ip", "at"),)


class PortalSession(Base):
    """A verified customer's browser: the cookie holds a random token, we keep its SHA-256."""

    __tablename__ = "portal_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False, index=True
    )
    link_id: Mapped[int] = mapped_column(
        ForeignKey("portal_link.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    __table_args__ = (CheckConstraint(one_of("locale", PORTAL_LOCALES), name="locale"),)
