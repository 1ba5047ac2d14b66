"""The outbound pipeline's ``letter`` transport (docs/channels.md, the transport contract): a
queued letter's HTML becomes a PDF in the print-house folder, named by the message's dedupe key,
with its line in that folder's ``manifest.csv``. Typed by the fields it reads (a ``Protocol``);
it raises the pipeline's own errors, so a write that fails (the folder missing or not a folder,
a full disk, no permission) is a ``TransportError`` the relay retries, never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

from arrears.channels.transports import Refused, TransportError
from arrears.contacts.letters import pdf
from arrears.kit import csvsafe

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = (
    "file",
    "reference",
    "case_id",
    "kind",
    "locale",
    "recipient",
    "address",
    "currency",
    "total_due",
    "pages",
    "sha256",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class LetterMessage(Protocol):
    """What the transport reads of the pipeline's ``Outgoing``."""

    @property
    def dedupe_key(self) -> str: ...
    @property
    def to(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def html(self) -> str | None: ...
    @property
    def fields(self) -> dict[str, str]: ...


def write_whole(path: Path, content: bytes) -> None:
    """Whole or not at all: a half-written file never reaches the print house."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def write_rows(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    """A CSV for people (formula prefixes neutralised), replaced whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        out = csvsafe.writer(fh)
        out.writerow(columns)
        out.writerows([row.get(c, "") for c in columns] for row in rows)
    os.replace(tmp, path)


def append_manifest(folder: Path, row: dict[str, object]) -> None:
    """One more line in the folder's manifest (the header written with the first)."""
    path = folder / MANIFEST
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as fh:
        out = csvsafe.writer(fh)
        if new:
            out.writerow(MANIFEST_COLUMNS)
        out.writerow(row.get(c, "") for c in MANIFEST_COLUMNS)


class PrintFolder:
    """Letters as PDF files for the print house, one per message."""

    name = "print-folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, message: LetterMessage) -> str:
        return _UNSAFE.sub("_", message.dedupe_key) + ".pdf"

    def send(self, message: LetterMessage) -> str:
        """Writes the PDF and its manifest line; the file name is the reference. A letter
        without HTML will never print (``Refused``: failed); a write error is retried
        (``TransportError``)."""
        if not message.html:
            raise Refused(f"letter {message.dedupe_key}: no HTML to print", status="failed")
        document, pages = pdf.render_pdf(message.html)
        name = self._file(message)
        fields = message.fields
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_whole(self.folder / name, document)
            append_manifest(
                self.folder,
                {
                    "file": name,
                    "reference": message.dedupe_key,
                    "case_id": fields.get("case_id", ""),
                    "kind": fields.get("kind", ""),
                    "locale": message.locale,
                    "recipient": fields.get("name", ""),
                    "address": message.to,
                    "total_due": fields.get("amount", ""),
                    "pages": pages,
                    "sha256": hashlib.sha256(document).hexdigest(),
                },
            )
        except OSError as exc:
            # No PDF without its manifest line: the next pass writes both (``handed`` reads
            # the PDF as printed).
            with contextlib.suppress(OSError):
                (self.folder / name).unlink(missing_ok=True)
            raise TransportError(
                f"cannot write the letter to {self.folder}: {exc.strerror or exc}"
            ) from exc
        return name

    def handed(self, message: LetterMessage) -> str | None:
        """The file name if this message's PDF is already in the folder (a relay restarted
        after the hand-over and before its commit does not print it twice)."""
        name = self._file(message)
        try:
            return name if (self.folder / name).is_file() else None
        except OSError:
            return None
