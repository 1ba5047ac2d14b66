"""Where the relay hands messages over: the transport port, the spool, and signing.

A transport is one class with ``name``, ``send`` and ``handed``. ``send`` returns the
transport's reference, raises ``TransportError`` (try again on a later pass) or ``Refused``
(never again: the recipient's side refused it for good, the message is bounced or failed).
``handed`` says whether the transport already holds a message (by its dedupe key) and returns
its reference, so a relay restarted after a crash between the hand-over and its commit records
the message as sent instead of handing it again; a transport that cannot be asked returns None
and relies on the far side deduplicating by the key (docs/channels.md, the transport contract).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from arrears.kit.clock import clock

if TYPE_CHECKING:
    from arrears.channels.models import OutboxMessage

# A message the transport refused this many times is marked failed (no more retries).
MAX_ATTEMPTS = 3


class TransportError(Exception):
    """The transport did not take the message; the relay retries on its next pass."""


class Refused(TransportError):
    """The transport refused the message for good: ``bounced`` (no such mailbox or number) or
    ``failed`` (the transport will never take it). The relay does not retry it."""

    def __init__(self, message: str, *, status: Literal["bounced", "failed"] = "failed") -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs, and the key that makes a repeat harmless on its side.

    ``body`` is the full text (an SMS, an e-mail's text part, a letter's text); ``html`` an
    e-mail's HTML part; ``subject`` an e-mail's subject; ``unsubscribe`` the one-click opt-out
    link an electronic message carries; ``fields`` the named fields (a letter's amount, seal,
    legal basis...) a letter transport lays out.
    """

    id: int
    dedupe_key: str
    channel: str
    to: str
    locale: str
    body: str
    subject: str | None = None
    html: str | None = None
    unsubscribe: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, message: OutboxMessage, *, unsubscribe: str | None = None) -> Outgoing:
        return cls(
            id=message.id,
            dedupe_key=message.dedupe_key,
            channel=message.channel,
            to=message.address,
            locale=message.locale,
            body=message.body,
            subject=message.subject,
            html=message.html,
            unsubscribe=unsubscribe,
            fields=dict(message.fields or {}),
        )


class Transport(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...

    def handed(self, message: Outgoing) -> str | None:
        """The transport's reference if it already took this message (same dedupe key), else
        None. Asked before every hand-over."""
        ...


# The transport of each channel the relay serves (a channel without one waits).
Transports = Mapping[str, Transport]


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


SIGNATURE_HEADER = "X-Arrears-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: what the gateway and its receipts carry."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_by(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is ``body``'s signature under ``secret`` (constant time); an empty
    secret signs nothing."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body), signature.strip())
