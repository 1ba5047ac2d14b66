"""A file in another encoding or a broken Parquet file is refused in one line, exit 2, nothing
written: the extract, the roster, the metrics, a strategy, a rules file, a scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

Cli = Callable[..., Any]
GBK_NAME = "张伟".encode("gbk")
AS_OF = "2026-11-29"


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and "━" not in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert "LINE 1" not in stderr  # DuckDB's SQL and caret stay out of the user's way
    return lines[0]


def stored(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def extract(cli: Cli, env: Path) -> Path:
    out = env / "extract"
    made = cli("portfolio", "synth", "--accounts", "30", "--seed", "2", "--out", str(out),
               "--as-of", AS_OF)  # fmt: skip
    assert made.exit_code == 0, made.stderr
    return out


@pytest.mark.parametrize(
    "damage",
    ["truncated footer", "not parquet at all", "corrupted pages"],
)
def test_a_broken_parquet_file_is_one_line_and_exit_2(
    cli: Cli, engine: Engine, extract: Path, damage: str
) -> None:
    target = extract / "statements.parquet"
    data = bytearray(target.read_bytes())
    if damage == "truncated footer":
        data = data[:300]
    elif damage == "not parquet at all":
        data = bytearray(b"cycle_date,due_date\n2026-01-01,2026-01-25\n")
    else:  # the footer reads, the compressed pages do not
        for i in range(100, len(data) // 2, 3):
            data[i] ^= 0x5A
    target.write_bytes(bytes(data))
    done = cli("import", "portfolio", str(extract))
    assert done.exit_code == 2, done.stderr
    line = one_error_line(done.stderr)
    assert "statements.parquet: not a readable Parquet file" in line
    assert stored(engine, "card_account") == 0


def test_a_gbk_extract_file_is_one_line_and_exit_2(cli: Cli, engine: Engine, env: Path) -> None:
    out = env / "csv"
    made = cli("portfolio", "synth", "--accounts", "10", "--seed", "2", "--out", str(out),
               "--as-of", AS_OF, "--format", "csv")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    holders = out / "cardholders.csv"
    holders.write_bytes(holders.read_text("utf-8").encode("gbk"))
    done = cli("import", "portfolio", str(out))
    assert done.exit_code == 2
    assert "cardholders.csv: not UTF-8 text" in one_error_line(done.stderr)
    assert stored(engine, "cardholder") == 0


@pytest.mark.parametrize(
    ("command", "name", "content"),
    [
        (
            ("staff", "import"),
            "roster.csv",
            b"code,name,employment_type,grade,capacity,hire_date\nS1,"
            + GBK_NAME
            + b",establishment,collection_officer,100,2024-01-01\n",
        ),
        (
            ("staff", "metrics"),
            "metrics.csv",
            b"staff,month,recovered\n" + GBK_NAME + b",2026-10,100.00\n",
        ),
        (("compliance", "check"), "scenario.json", b'{"note": "' + GBK_NAME + b'"}'),
        (("compliance", "show"), "profile.yaml", b"title: " + GBK_NAME + b"\n"),
        (
            ("cycle", "run", "--as-of", AS_OF, "--strategy"),
            "strategy.yaml",
            b"name: " + GBK_NAME + b"\n",
        ),
        (("allocate", "--as-of", AS_OF, "--rules"), "rules.yaml", b"name: " + GBK_NAME + b"\n"),
    ],
    ids=["roster", "metrics", "scenario", "profile", "strategy", "allocation rules"],
)
def test_a_file_in_another_encoding_is_one_line_and_exit_2(
    cli: Cli, engine: Engine, env: Path, command: tuple[str, ...], name: str, content: bytes
) -> None:
    path = env / name
    path.write_bytes(content)
    done = cli(*command, str(path))
    assert done.exit_code == 2, done.stderr
    assert f"{path.name}: not UTF-8 text" in one_error_line(done.stderr)
    assert stored(engine, "staff") == 0
    assert stored(engine, "cycle_run") == 0
