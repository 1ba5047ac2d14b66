"""`arrears import uci`: the real data lands whole, once per backend; the label stays out."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from arrears.config import get_settings
from arrears.kit.db import engine_for, make_engine
from tests.conftest import _fresh_pg

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@dataclass
class Loaded:
    url: str
    warehouse: Path
    exit_code: int
    stdout: str
    stderr: str


def _import(url: str, warehouse: Path, csv_path: Path, *args: str) -> tuple[int, str, str]:
    from arrears.cli.main import run

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARREARS_DATABASE_URL", url)
        mp.setenv("ARREARS_WAREHOUSE", str(warehouse))
        get_settings.cache_clear()
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run(["import", "uci", str(csv_path), *args])
        get_settings.cache_clear()
        engine_for.cache_clear()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, uci_csv: Path
) -> Iterator[Loaded]:
    """One UCI import per backend, shared by the tests of this module."""
    work = tmp_path_factory.mktemp(f"uci_{request.param}")
    if request.param == "sqlite":
        path = work / "arrears.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        urls: Iterator[str] = iter([f"sqlite:///{path}"])
    else:
        urls = _fresh_pg(request.getfixturevalue("pg_template"))
    url = next(urls)
    code, out, err = _import(url, work / "warehouse.duckdb", uci_csv)
    yield Loaded(url, work / "warehouse.duckdb", code, out, err)
    for _ in urls:  # drop the PostgreSQL database
        pass


def expected(uci_csv: Path) -> dict[str, int]:
    with uci_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    paid = sum(1 for r in rows for k in range(1, 7) if float(r[f"PAY_AMT{k}"]) > 0)
    defaulted = sum(1 for r in rows if r["default.payment.next.month"] == "1")
    return {"clients": len(rows), "payments": paid, "defaulted": defaulted}


def test_counts(loaded: Loaded, uci_csv: Path) -> None:
    assert loaded.exit_code == 0, loaded.stderr
    want = expected(uci_csv)
    engine = make_engine(loaded.url)
    with engine.connect() as conn:

        def count(table: str) -> int:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())

        assert count("cardholder") == want["clients"] == 30_000
        assert count("card_account") == 30_000
        assert count("statement") == 180_000
        assert count("reported_delinquency") == 180_000
        assert count("payment") == want["payments"]
        status_counts = dict(
            conn.execute(
                sa.text(
                    "SELECT status, count(*) FROM reported_delinquency "
                    "WHERE reported_on = '2005-10-01' GROUP BY status"
                )
            ).all()
        )
    engine.dispose()
    # The README's PAY_0 counts.
    assert status_counts == {
        -2: 2759,
        -1: 5686,
        0: 14737,
        1: 3688,
        2: 2667,
        3: 322,
        4: 76,
        5: 26,
        6: 11,
        7: 9,
        8: 19,
    }


def test_rows_are_mapped_as_documented(loaded: Loaded) -> None:
    engine = make_engine(loaded.url)
    with engine.connect() as conn:
        holder = conn.execute(
            sa.text(
                "SELECT name, birth_date, sex, education, marital_status, identity_category, "
                "occupation FROM cardholder WHERE external_ref = '1'"
            )
        ).one()
        account = conn.execute(
            sa.text("SELECT credit_limit, currency FROM card_account WHERE external_ref = '1'")
        ).one()
        big = conn.execute(
            sa.text("SELECT count(*) FROM card_account WHERE credit_limit = 500000")
        ).scalar_one()
        statements = conn.execute(
            sa.text(
                "SELECT s.cycle_date, s.due_date, s.closing_balance, s.minimum_due "
                "FROM statement s "
                "JOIN card_account a ON a.id = s.account_id WHERE a.external_ref = '1' "
                "ORDER BY s.cycle_date"
            )
        ).all()
        refs = conn.execute(
            sa.text(
                "SELECT p.reference, p.amount FROM payment p JOIN card_account a "
                "ON a.id = p.account_id WHERE a.external_ref = '1'"
            )
        ).all()
    engine.dispose()
    # Client 1: LIMIT_BAL 20000, SEX 2, EDUCATION 2, MARRIAGE 1, AGE 24; bills Sep..Apr
    # 3913, 3102, 689, 0, 0, 0; paid 689 in August only.
    assert holder[0] == "UCI client 1"
    assert str(holder[1]) == "1981-07-01"
    assert holder[2:6] == ("female", "university", "married", "unknown")
    assert holder[6] is None
    assert float(account[0]) == 20000
    assert account[1] == "TWD"
    assert big > 0  # "5e+05" spellings parsed
    assert [str(s[0]) for s in statements][-1] == "2005-09-05"
    assert [float(s[2]) for s in statements] == [0, 0, 0, 689, 3102, 3913]
    assert float(statements[-1][3]) == pytest.approx(391.30)
    assert [(r, float(a)) for r, a in refs] == [("UCI-1-2005-08", 689.0)]


def test_label_is_only_in_the_warehouse(loaded: Loaded, uci_csv: Path) -> None:
    engine = make_engine(loaded.url)
    columns = {
        c["name"]
        for table in sa.inspect(engine).get_table_names()
        for c in sa.inspect(engine).get_columns(table)
    }
    engine.dispose()
    assert not any("default" in c for c in columns)
    con = duckdb.connect(str(loaded.warehouse), read_only=True)
    try:
        total, defaulted, month = con.execute(
            "SELECT count(*), sum(defaulted::INT), min(outcome_month) FROM uci_outcomes"
        ).fetchone()  # type: ignore[misc]
        accounts = con.execute("SELECT count(*) FROM accounts").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    assert total == accounts == 30_000
    assert defaulted == expected(uci_csv)["defaulted"] == 6636
    assert str(month) == "2005-10-01"


def test_second_import_is_a_no_op(loaded: Loaded, uci_csv: Path) -> None:
    code, out, _ = _import(loaded.url, loaded.warehouse, uci_csv)
    assert code == 0
    assert "already imported" in out


def _uci_variant(rows: list[list[str]], case: str) -> bytes:
    """The first clients of the real file, spoiled one way."""
    header, first, *rest = rows
    lines = [header, first, *rest]
    if case == "not the UCI layout":
        lines[0] = [c.lower() for c in header]
    elif case == "ragged row":
        lines.append(first[:-1])
    elif case == "duplicate client":
        lines.append(first)
    elif case == "bad amount":
        lines.append(["999", "12,5", *first[2:]])
    elif case == "bad age":
        lines.append(["999", *first[1:5], "200", *first[6:]])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    data = buffer.getvalue().encode()
    return data + b"1000,\xff\n" if case == "not UTF-8" else data


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("not UTF-8", "not UTF-8"),
        ("not the UCI layout", "not the UCI layout"),
        ("ragged row", "fields, expected 25"),
        ("duplicate client", "duplicate client"),
        ("bad amount", "column LIMIT_BAL: not an amount"),
        ("bad age", "column AGE: not an age"),
    ],
)
def test_a_bad_uci_file_changes_nothing(
    case: str, says: str, cli: Any, env: Path, db_url: str, uci_csv: Path
) -> None:
    from tests.integration.test_import_portfolio import everything

    with uci_csv.open(newline="") as fh:
        rows = [row for _, row in zip(range(51), csv.reader(fh), strict=False)]
    good = env / "uci_50.csv"
    good.write_bytes(_uci_variant(rows, "none"))
    assert cli("import", "uci", str(good)).exit_code == 0
    before = everything(db_url, env)
    bad = env / "uci_bad.csv"
    bad.write_bytes(_uci_variant(rows, case))
    result = cli("import", "uci", str(bad))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert says in " ".join(result.stderr.split())
    assert everything(db_url, env) == before
