"""Where the outbox relay hands messages over: the transport port and the spool adapter.

A bank's SMS gateway sits on its intranet; the shipped transport appends one JSON line per
message to a dated spool file the gateway collects (the usual file drop). Another gateway is one
class with ``name``, ``send`` and ``handed``: ``send`` returns the gateway's reference or raises
``TransportError``; ``handed`` says whether the gateway already holds a message (by its dedupe
key) and returns its reference, so a relay restarted after a crash between the hand-over and its
commit records the message as sent instead of handing it again (docs/workflow.md, the gateway
contract).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date, timedelta
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

    def handed(self, message: Outgoing) -> str | None:
        """The gateway's reference if it already took this message (same dedupe key), else
        None. Asked before every hand-over."""
        ...


class SpoolTransport:
    """Appends each message to ``<folder>/<channel>-<YYYYMMDD>.jsonl`` (the UTC day it is handed
    over) and syncs it to disk. The spool is also the record of what was handed: ``handed``
    reads the dedupe keys of the files a message due today can be in (today's and yesterday's:
    a center's day spans two UTC days), once per file per relay pass."""

    name = "spool"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[Path, set[str]] = {}

    def _path(self, channel: str, day: date) -> Path:
        return self.folder / f"{channel}-{day:%Y%m%d}.jsonl"

    def _keys_in(self, path: Path) -> set[str]:
        keys = self._keys.get(path)
        if keys is None:
            keys = set()
            if path.exists():
                for line in path.read_text("utf-8").splitlines():
                    try:
                        keys.add(json.loads(line)["dedupe_key"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a crash was never handed over
            self._keys[path] = keys
        return keys

    def handed(self, message: Outgoing) -> str | None:
        today = clock.now().date()
        for day in (today, today - timedelta(days=1)):
            path = self._path(message.channel, day)
            if message.dedupe_key in self._keys_in(path):
                return f"{path.name}#{message.dedupe_key}"
        return None

    def send(self, message: Outgoing) -> str:
        now = clock.now()
        path = self._path(message.channel, now.date())
        line = json.dumps(
            {**asdict(message), "handed_over_at": now.isoformat()}, ensure_ascii=False
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with path.open("a+b") as spool:
                # A line a crash cut short must not swallow this one: start on a fresh line.
                spool.seek(0, os.SEEK_END)
                if spool.tell():
                    spool.seek(-1, os.SEEK_END)
                    if spool.read(1) != b"\n":
                        spool.write(b"\n")
                spool.write((line + "\n").encode("utf-8"))
                spool.flush()
                os.fsync(spool.fileno())
        except OSError as exc:
            raise TransportError(f"cannot write the spool {path}: {exc.strerror or exc}") from exc
        self._keys_in(path).add(message.dedupe_key)
        return f"{path.name}#{message.dedupe_key}"
