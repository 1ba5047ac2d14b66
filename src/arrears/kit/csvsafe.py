"""CSV files a spreadsheet opens without running anything: formula prefixes are neutralised.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed
is written with a single quote in front (``=cmd|' /C calc'!A0`` becomes ``'=cmd|' /C calc'!A0``),
so Excel, LibreOffice and Numbers show it as text instead of evaluating it (CSV injection).

Numbers are a deliberate exception, decided by type and not by how the text looks: an ``int``,
``Decimal`` or finite ``float`` is written as it is, so a genuine negative amount (``-12.50``) in a
numeric column stays a number. Text that merely looks like a number (``"-12.50"`` read from a
file) is text and gets the quote. Every CSV the application writes for people goes through
:func:`writer`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: object) -> object:
    """``value`` as a safe CSV cell: numbers unchanged, ``None`` empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal) and (not isinstance(value, Decimal) or value.is_finite()):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`cell`."""

    def __init__(self, fh: TextIO, **fmtparams: Any) -> None:
        self._out = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[object]) -> None:
        self._out.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextIO, **fmtparams: Any) -> SafeWriter:
    """Like ``csv.writer(fh)``, with formula prefixes neutralised (open ``fh`` with newline="")."""
    return SafeWriter(fh, **fmtparams)
