"""Text files people hand the application (extracts, rosters, policies, scenarios) are UTF-8;
one that is not is refused in one line that names it, never a ``UnicodeDecodeError``."""

from __future__ import annotations

from pathlib import Path

from arrears.kit.errors import BadInput


def not_utf8(path: Path, exc: UnicodeDecodeError) -> BadInput:
    """The one line for a file that is not UTF-8 (a GBK or Big5 export, a binary file)."""
    return BadInput(
        f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
    )


def read_utf8(path: Path) -> str:
    """The whole file as text; a file in another encoding is ``BadInput``."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def first_line(exc: BaseException) -> str:
    """A reader's error in one line: DuckDB and Arrow append the SQL and a caret below it."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
