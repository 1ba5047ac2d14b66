"""The compiled strategy (Ibis CASE chains) on a handful of accounts, run on DuckDB."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest

from arrears.strategy import compile as sc
from arrears.strategy.loader import SHIPPED, load_strategy, parse

DEFAULT = (SHIPPED / "default.yaml").read_text(encoding="utf-8")


def features(rows: list[dict[str, Any]]) -> ibis.Table:
    base = {
        "account_id": "A",
        "customer_id": "C",
        "dpd": 0,
        "bucket": "M0",
        "amount_due": Decimal("0.00"),
        "balance": Decimal("0.00"),
        "credit_limit": Decimal("50000.00"),
        "product": "classic",
        "occupation": None,
        "identity_category": "private_employee",
        "age": 40,
        "city": "Chengdu",
        "province": None,
        "flags": None,
        "months_late_12m": 0,
        "previous_level": None,
        "previous_queue": None,
        "previous_treatments": None,
        "previous_priority": None,
        "broken_promises": 0,
        "problem_customer": False,
    }
    schema = pa.schema(
        [
            ("account_id", pa.string()), ("customer_id", pa.string()), ("dpd", pa.int32()),
            ("bucket", pa.string()), ("amount_due", pa.decimal128(18, 2)),
            ("balance", pa.decimal128(18, 2)), ("collectible", pa.bool_()),
            ("credit_limit", pa.decimal128(18, 2)),
            ("product", pa.string()), ("occupation", pa.string()),
            ("identity_category", pa.string()), ("age", pa.int32()), ("city", pa.string()),
            ("province", pa.string()), ("flags", pa.string()), ("months_late_12m", pa.int32()),
            ("previous_level", pa.string()), ("previous_queue", pa.string()),
            ("previous_treatments", pa.string()), ("previous_priority", pa.int32()),
            ("broken_promises", pa.int32()), ("problem_customer", pa.bool_()),
        ]
    )  # fmt: skip
    # The engine's ``collectible`` (something past due above the small balance): past due here
    # unless a row says otherwise.
    full = [base | {"collectible": r.get("dpd", 0) > 0} | r for r in rows]
    return ibis.memtable(pa.Table.from_pylist(full, schema=schema))


def decide(rows: list[dict[str, Any]], text: str = DEFAULT) -> dict[str, dict[str, Any]]:
    strategy = parse(text).strategy
    out = ibis.duckdb.connect().to_pyarrow(sc.apply(features(rows), strategy))
    return {r["account_id"]: r for r in out.to_pylist()}


def test_segments_scores_and_rules() -> None:
    got = decide(
        [
            {"account_id": "cur"},
            {"account_id": "m1", "dpd": 12, "bucket": "M1"},
            {
                "account_id": "m1gov",
                "dpd": 12,
                "bucket": "M1",
                "identity_category": "civil_servant",
            },
            {"account_id": "chronic", "dpd": 45, "bucket": "M2", "months_late_12m": 4},
            {"account_id": "dead", "dpd": 200, "bucket": "M7+", "flags": "vip;deceased"},
            {"account_id": "young", "dpd": 40, "bucket": "M2", "age": 22},
            {"account_id": "rich", "dpd": 100, "bucket": "M4", "credit_limit": Decimal("300000")},
        ]
    )
    assert got["cur"]["level"] is None
    assert got["cur"]["queue"] is None
    assert got["cur"]["segment"] == "STANDARD"
    # 500 + dpd<=30 (120) + never late (60) + credit 50k (0) + private employee (20)
    assert got["m1"]["score"] == 700
    assert (got["m1"]["score_band"], got["m1"]["rule"], got["m1"]["queue"]) == (
        "high", "m1-good", "early_sms")  # fmt: skip
    assert (got["m1gov"]["segment"], got["m1gov"]["tier"]) == ("PUBLIC", 1)
    assert got["chronic"]["segment"] == "CHRONIC"
    assert got["chronic"]["score"] == 500 + 60 - 60 + 20
    assert (got["dead"]["rule"], got["dead"]["level"]) == ("deceased", "write_off_review")
    assert got["young"]["segment"] == "YOUNG"
    assert (got["rich"]["segment"], got["rich"]["level"], got["rich"]["treatments"]) == (
        "HIGH_LIMIT", "legal", "legal_notice;field_visit;call")  # fmt: skip


def test_an_account_with_nothing_collectible_past_due_gets_no_case() -> None:
    """Invariant 2: a reported status keeps dpd > 0 with nothing owed; no level, no queue."""
    got = decide(
        [
            {"account_id": "owes", "dpd": 30, "bucket": "M1", "amount_due": Decimal("120.00")},
            {"account_id": "nothing", "dpd": 30, "bucket": "M1", "collectible": False},
            {
                "account_id": "kept",
                "dpd": 30,
                "bucket": "M1",
                "collectible": False,
                "previous_level": "legal",
                "previous_queue": "legal",
                "previous_treatments": "legal_notice",
                "previous_priority": 80,
            },
        ]
    )
    assert (got["owes"]["level"], got["owes"]["queue"]) == ("junior", "early_sms")
    for account in ("nothing", "kept"):  # never_downgrade does not keep a case with nothing due
        row = got[account]
        assert (row["rule"], row["level"], row["queue"], row["treatments"]) == (None,) * 4


def test_flag_matching_is_by_whole_word() -> None:
    got = decide([{"account_id": "x", "dpd": 10, "bucket": "M1", "flags": "undeceased"}])
    assert got["x"]["rule"] != "deceased"


def test_an_open_case_never_drops_a_level_unless_the_file_says_so() -> None:
    row = {
        "account_id": "x", "dpd": 10, "bucket": "M1", "previous_level": "legal",
        "previous_queue": "legal", "previous_treatments": "legal_notice", "previous_priority": 80,
    }  # fmt: skip
    kept = decide([row])["x"]
    assert (kept["level"], kept["queue"], kept["rule"]) == ("legal", "legal", "never_downgrade")
    free = decide([row], DEFAULT.replace("never_downgrade: true", "never_downgrade: false"))["x"]
    assert free["level"] == "junior"


def python_arm(account_id: str, test: str, arms: list[tuple[str, int]]) -> str:
    """The documented assignment: md5(account_id:test), first 7 hex digits, mod 100."""
    pct = int(hashlib.md5(f"{account_id}:{test}".encode()).hexdigest()[:7], 16) % 100
    upper = 0
    for name, percent in arms:
        upper += percent
        if pct < upper:
            return name
    return arms[-1][0]


@pytest.mark.parametrize("share", [10, 50])
def test_arms_are_stable_and_split_as_declared(share: int) -> None:
    text = DEFAULT.replace(
        "rules:\n  - name: deceased",
        f"experiment:\n  test: t1\n  population: book\n  arms:\n"
        f"    - {{name: champion, percent: {100 - share}}}\n"
        f"    - {{name: challenger, percent: {share}}}\n\nrules:\n  - name: deceased",
    )
    rows = [{"account_id": f"ACC{i:05d}", "dpd": 5, "bucket": "M1"} for i in range(4000)]
    got = decide(rows, text)
    arms = [("champion", 100 - share), ("challenger", share)]
    assert all(got[r["account_id"]]["arm"] == python_arm(r["account_id"], "t1", arms) for r in rows)
    challenger = sum(1 for r in got.values() if r["arm"] == "challenger") / len(rows)
    assert abs(challenger - share / 100) < 0.03


M1_TEST = DEFAULT.replace(
    "rules:\n  - name: deceased",
    "experiment:\n  test: m1-call-first\n  arms:\n"
    "    - {name: champion, percent: 80}\n    - {name: call_first, percent: 20}\n\n"
    "rules:\n  - name: call-first\n    when: {bucket: [M1], arm: [call_first]}\n"
    "    level: junior\n    treatments: [call]\n    queue: early_call\n    priority: 60\n"
    "  - name: deceased",
)


def test_the_test_population_is_who_the_arm_rules_would_take_in_every_arm() -> None:
    """Before: no record of who the test targets; every decided account was compared."""
    rows = [{"account_id": f"M1-{i}", "dpd": 12, "bucket": "M1"} for i in range(200)]
    rows += [{"account_id": f"M2-{i}", "dpd": 40, "bucket": "M2"} for i in range(50)]
    rows += [{"account_id": f"M1-paid-{i}", "dpd": 12, "bucket": "M1", "collectible": False}
             for i in range(20)]  # fmt: skip
    rows += [{"account_id": f"M0-{i}"} for i in range(50)]
    got = decide(rows, M1_TEST)
    assert {r["test"] for r in got.values()} == {"m1-call-first"}
    targeted = {a for a, r in got.items() if r["in_test"]}
    assert targeted == {f"M1-{i}" for i in range(200)}  # worked M1 accounts, both arms
    arms = {got[a]["arm"] for a in targeted}
    assert arms == {"champion", "call_first"}
    assert all(got[a]["rule"] == "call-first" for a in targeted if got[a]["arm"] == "call_first")
    book = decide(
        rows, M1_TEST.replace("  test: m1-call-first\n", "  test: t\n  population: book\n")
    )
    assert all(r["in_test"] for r in book.values())
    plain = decide(rows)
    assert not any(r["in_test"] for r in plain.values())
    assert {r["test"] for r in plain.values()} == {None}


def test_the_shipped_strategy_compiles_without_evaluating_rows_in_python() -> None:
    expr = sc.apply(features([{"account_id": "x"}]), load_strategy().strategy)
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    assert "CASE" in sql
    assert "md5" not in sql.lower()  # no experiment in the default: everyone is champion
