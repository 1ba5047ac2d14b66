"""CSV injection: no cell the application writes for people starts with a formula prefix."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.kit import csvsafe
from arrears.kit.csvsafe import FORMULA_PREFIXES

SRC = Path(csvsafe.__file__).resolve().parents[1]


def written(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Write ``rows`` through the safe writer and read them back as a spreadsheet would."""
    buffer = io.StringIO(newline="")
    csvsafe.writer(buffer).writerows(rows)
    return list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))


# Text that tends to start with a prefix, and anything at all.
hostile = st.one_of(
    st.builds(lambda p, t: p + t, st.sampled_from(FORMULA_PREFIXES), st.text()),
    st.text(),
)


@given(st.lists(st.lists(hostile, min_size=1, max_size=6), min_size=1, max_size=8))
def test_no_text_cell_starts_with_a_formula_prefix(rows: list[list[str]]) -> None:
    back = written(rows)
    assert len(back) == len(rows)
    for original, row in zip(rows, back, strict=True):
        for before, after in zip(original, row, strict=True):
            assert not after.startswith(FORMULA_PREFIXES)
            # Nothing else changes: the quote is added only in front of a prefix.
            escaped = before.startswith(FORMULA_PREFIXES)
            assert after == ("'" + before if escaped else before)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15)))
def test_a_genuine_amount_stays_a_number(amount: Decimal) -> None:
    """Numbers are passed by type: a negative amount is written as the number it is."""
    [[cell, label]] = written([[amount, "-note"]])
    assert cell == str(amount)
    assert Decimal(cell) == amount
    assert label == "'-note"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ('=HYPERLINK("http://x.example","y")', '\'=HYPERLINK("http://x.example","y")'),
        ("+886912345678", "'+886912345678"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-12.50", "'-12.50"),  # text from a file: text, whatever it looks like
        (Decimal("-12.50"), "-12.50"),  # an amount: a number
        (-3, "-3"),
        (None, ""),
        ("张伟", "张伟"),
        ("a=b", "a=b"),
    ],
)
def test_examples(value: object, cell: str) -> None:
    assert written([[value]]) == [[cell]]


# Writers of CSV that people do not open: each with the reason it stays a plain writer.
NOT_FOR_PEOPLE = {
    "portfolio/synth.py": "writes an extract for `arrears import`; E.164 phones start with +",
    "engine/sync.py": "streams rows into PostgreSQL COPY, never a file",
}


def test_every_csv_writer_in_the_code_is_the_safe_one() -> None:
    writers = re.compile(r"csv\.writer\(|DictWriter\(|write_csv\(|CSVWriter\(")
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "csvsafe.py" and writers.search(path.read_text(encoding="utf-8"))
    }
    assert found == set(NOT_FOR_PEOPLE)
