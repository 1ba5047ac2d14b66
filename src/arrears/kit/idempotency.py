"""Idempotency keys: a creating request sent twice (a double click, a client's retry after a
timeout) makes one record, and the second gets the first one's response.

The caller names the request with a key (API: the ``Idempotency-Key`` header; forms: a hidden
key rendered once per page). The key is stored with a hash of what was asked and, once the work
is done, the response, in the same transaction as the work: if the work fails, the key goes with
it and a retry runs again. The same key with a different request is refused (422, named). Two
requests with one key at the same moment: the second waits on the unique index, then replays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from arrears.kit.clock import clock
from arrears.kit.db import Base, BigId, UTCDateTime
from arrears.kit.errors import BadInput, Conflict

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    """One creating request, by who sent it and the key they gave it."""

    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("actor", "key"),)


def request_hash(scope: str, payload: Mapping[str, Any]) -> str:
    canonical = json.dumps({"scope": scope, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _checked_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadInput(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def _find(session: Session, actor: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.actor == actor, IdempotencyKey.key == key)
    )


def _replay(found: IdempotencyKey, digest: str, scope: str) -> dict[str, Any]:
    if found.request_hash != digest:
        raise BadInput(
            f"{HEADER} {found.key!r} was already used for a different request "
            f"({found.scope}); send a new key for a new request"
        )
    if found.response is None:
        raise Conflict(f"the request with {HEADER} {found.key!r} is still being processed")
    return found.response


def once(
    session: Session,
    *,
    actor: str,
    key: str | None,
    scope: str,
    payload: Mapping[str, Any],
    run: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``run()`` once per (actor, key): its JSON-able response is stored and replayed for a repeat
    of the same request. Without a key, ``run()`` is simply called."""
    if key is None:
        return run()
    key = _checked_key(key)
    digest = request_hash(scope, payload)
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite opens no transaction before a SAVEPOINT, so the RELEASE below would commit
        # the key on its own and a refused request would leave it behind (its retry then told
        # "used for a different request"). A no-op write opens the transaction and takes
        # SQLite's one write lock now: a duplicate sent meanwhile reads the first one's key.
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == -1)
            .values(key=IdempotencyKey.key)
            .execution_options(synchronize_session=False)
        )
    found = _find(session, actor, key)
    if found is not None:
        return _replay(found, digest, scope)
    row = IdempotencyKey(
        actor=actor, key=key, scope=scope, request_hash=digest, created_at=clock.now()
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same key was committed by a concurrent request while this one waited on the index.
        found = _find(session, actor, key)
        if found is None:
            raise Conflict(f"the request with {HEADER} {key!r} is still being processed") from None
        return _replay(found, digest, scope)
    response = run()
    row.response = response
    session.flush()
    return response
