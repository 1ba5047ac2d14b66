"""Where the outbox relay hands messages over: the transport port and the spool adapter.

A bank's SMS gateway sits on its intranet; the shipped transport appends one JSON line per
message to a dated spool file the gateway collects (the usual file drop). Another gateway is one
class with ``name`` and ``send``; ``send`` returns the gateway's reference or raises
``TransportError``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from arrears.kit.clock import clock

if TYPE_CHECKING:
    from arrears.contacts.models import OutboxMessage

# A message the gateway refused this many times is marked failed (no more retries).
MAX_ATTEMPTS = 3


class TransportError(Exception):
    """The gateway did not take the message; the relay retries on its next pass."""


@dataclass(frozen=True)
class Outgoing:
    """What the gateway needs, and the key that makes a repeat harmless on its side."""

    id: int
    dedupe_key: str
    channel: str
    to: str
    locale: str
    body: str

    @classmethod
    def of(cls, message: OutboxMessage) -> Outgoing:
        return cls(
            id=message.id,
            dedupe_key=message.dedupe_key,
            channel=message.channel,
            to=message.address,
            locale=message.locale,
            body=message.body,
        )


class Transport(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...


class SpoolTransport:
    """Appends each message to ``<folder>/<channel>-<YYYYMMDD>.jsonl`` and syncs it to disk."""

    name = "spool"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Outgoing) -> str:
        now = clock.now()
        path = self.folder / f"{message.channel}-{now:%Y%m%d}.jsonl"
        line = json.dumps(
            {**asdict(message), "handed_over_at": now.isoformat()}, ensure_ascii=False
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as spool:
                spool.write(line + "\n")
                spool.flush()
                os.fsync(spool.fileno())
        except OSError as exc:
            raise TransportError(f"cannot write the spool {path}: {exc.strerror or exc}") from exc
        return f"{path.name}#{message.dedupe_key}"
