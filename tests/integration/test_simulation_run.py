"""`arrears simulate` as the acceptance harness of the daily loop: a short run on SQLite and a
shorter one on PostgreSQL; the JSON's shape, its determinism, metrics that add up, bad input.

The assertion that every invariant holds, on both stores, is the acceptance test of issue 13:
a department run for weeks keeps every rule of the product.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arrears.cli.main import run as cli_run
from arrears.config import get_settings
from arrears.simulation.invariants import CHECKS
from arrears.simulation.run import Options, SimulationResult, simulate
from tests.conftest import PG_ADMIN_URL

START = date(2026, 1, 12)  # 20 days end on 31 January: a month end


@contextmanager
def configured(url: str | None) -> Iterator[None]:
    """Run with ARREARS_DATABASE_URL set to ``url`` (None: the default SQLite file)."""
    saved = os.environ.get("ARREARS_DATABASE_URL")
    if url is None:
        os.environ.pop("ARREARS_DATABASE_URL", None)
    else:
        os.environ["ARREARS_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("ARREARS_DATABASE_URL", None)
        else:
            os.environ["ARREARS_DATABASE_URL"] = saved
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def sqlite_run() -> SimulationResult:
    with configured(None):
        return simulate(Options(days=20, accounts=1000, seed=11, start=START))


def _consistent(result: SimulationResult) -> None:
    days = result.days
    for before, after in zip(days, days[1:], strict=False):
        # Cases are opened and closed by the cycle only: the change in open cases adds up.
        assert after["open"] - before["open"] == after["opened"] - after["closed"], after["day"]
    for d in days:
        assert d["assigned"] + d["placed"] + d["unassigned"] == d["open"], d["day"]
        assert d["unassigned"] == sum(d["unassigned_reasons"].values())
        calls = d["calls"]
        assert calls["made"] + calls["blocked"] <= calls["attempts"]
        assert calls["right_party"] <= calls["made"]
        assert sum(d["compliance_blocks"].values()) >= calls["blocked"]
        assert set(d["invariants"]) == set(CHECKS)
    first = days[0]
    assert first["opened"] == first["open"] > 0
    assert sum(d["payments"] for d in days) == result.summary["payments"]


def test_the_json_has_days_invariants_and_a_summary(sqlite_run: SimulationResult) -> None:
    payload = json.loads(json.dumps(sqlite_run.as_json(), default=str))
    assert set(payload) == {"days", "invariants", "summary"}
    assert len(payload["days"]) == 20
    assert payload["days"][0]["day"] == "2026-01-12"
    assert payload["days"][-1]["day"] == "2026-01-31"
    for key in (
        "open",
        "opened",
        "cured",
        "rolled_forward",
        "assigned",
        "unassigned",
        "unassigned_reasons",
        "load",
        "promises",
        "compliance_blocks",
        "collected",
        "roll_rates",
    ):
        assert key in payload["days"][5], key
    assert set(payload["invariants"]) == set(CHECKS)
    for name, verdict in payload["invariants"].items():
        assert set(verdict) >= {"held", "violations", "examples"}, name
        assert verdict["held"] == (verdict["violations"] == 0)
        assert len(verdict["examples"]) == min(verdict["violations"], 5)
    summary = payload["summary"]
    assert summary["days"] == 20
    assert summary["accounts"] == 1000
    assert summary["calls"] > 0
    assert summary["payments"] > 0
    assert summary["month_ends"][0]["month"] == "2026-01"
    assert summary["month_ends"][0]["pay_statements"] > 0


def test_the_metrics_add_up(sqlite_run: SimulationResult) -> None:
    _consistent(sqlite_run)


def test_every_invariant_is_reported_with_examples(sqlite_run: SimulationResult) -> None:
    for name in sqlite_run.broken:
        examples = sqlite_run.invariants[name]["examples"]
        assert examples, name
        assert all("first_seen" in e for e in examples), name


def test_every_invariant_holds(sqlite_run: SimulationResult) -> None:
    """The acceptance test of issue 13: a department run holds every rule of the product."""
    broken = {n: r["examples"][:2] for n, r in sqlite_run.invariants.items() if not r["held"]}
    assert broken == {}


def test_collectors_under_pressure_are_blocked_by_rule_and_no_unlawful_contact_is_made(
    sqlite_run: SimulationResult,
) -> None:
    """Pushy collectors re-dial, call early and late: compliance blocks them by rule (cn-card:
    the daily cap of three dials, the calling hours), and the thirteenth invariant re-derives
    from the store that every contact made was lawful."""
    assert len(CHECKS) == 13
    blocks = sqlite_run.summary["compliance_blocks"]
    assert blocks.get("daily_cap", 0) > 0, blocks
    assert blocks.get("time_window", 0) > 0, blocks
    assert sqlite_run.summary["calls_blocked"] > 0
    assert sum(d["calls"]["redials"] for d in sqlite_run.days) > 0
    assert (
        sum(d["compliance_blocks"].get("daily_cap", 0) for d in sqlite_run.days)
        == blocks["daily_cap"]
    )
    assert sqlite_run.invariants["contacts_lawful"]["held"]


def test_the_invariant_catches_contacts_made_with_the_engine_bypassed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contact flow patched to allow everything: the early calls of a pushy collector are
    made, and ``contacts_lawful`` (which never asks the engine) reports them."""
    import yaml

    from arrears.compliance.schemas import Decision
    from arrears.contacts import service as contact_service
    from arrears.simulation import behaviour as bm

    model = bm.load_behaviour()
    raw = model.model_dump(mode="json")
    raw["pressure"].update(pushy_share=1.0, early_day=1.0)
    behaviour = tmp_path / "pushy.yaml"
    behaviour.write_text(yaml.safe_dump(raw), encoding="utf-8")
    asked = contact_service.ask_compliance

    def allow_everything(**kwargs: Any) -> Any:
        decision, check, breaches = asked(**kwargs)
        check.allowed = True  # the record says so too: nothing was blocked
        allowed = Decision(allowed=True, reason="bypassed", profile=decision.profile)
        return allowed, check, []

    monkeypatch.setattr(contact_service, "ask_compliance", allow_everything)
    options = Options(days=2, accounts=200, seed=4, start=START, behaviour=str(behaviour))
    with configured(None):
        result = simulate(options)
    assert result.summary["service_errors"] == {}
    assert result.summary["calls_made"] > 0
    # Only the workflow's own step-by-step gate (after the engine) still refuses anything.
    assert set(result.summary["compliance_blocks"]) <= {"workflow.step_by_step"}
    lawful = result.invariants["contacts_lawful"]
    assert not lawful["held"]
    assert {e["rule"] for e in lawful["examples"]} >= {"time_window"}
    assert all(e["at_local"][11:16] < "08:00" for e in lawful["examples"])


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b))
            for d in _differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_same_seed_same_json() -> None:
    options = Options(days=4, accounts=300, seed=5, start=START)
    with configured(None):
        first = json.loads(json.dumps(simulate(options).as_json(), default=str))
        second = json.loads(json.dumps(simulate(options).as_json(), default=str))
    assert _differences(first, second)[:10] == []


@pytest.mark.postgres
def test_a_short_run_on_postgresql() -> None:
    with configured(PG_ADMIN_URL):
        result = simulate(Options(days=6, accounts=400, seed=3, start=START))
    assert result.summary["store"] == "postgresql"
    _consistent(result)
    assert result.summary["calls"] > 0
    broken = {n: r["examples"][:2] for n, r in result.invariants.items() if not r["held"]}
    assert broken == {}


# --- the command ---------------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with configured(None), redirect_stdout(out), redirect_stderr(err):
        code = cli_run(["simulate", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days must be at least 1"),
        (["--days", "-3"], "--days must be at least 1"),
        (["--start", "2026-02-30"], "--start: not a date"),
        (["--roster", "no-such-roster.yaml"], "--roster: no file"),
        (["--engine", "oracle"], "--engine must be duckdb or spark"),
        (["--accounts", "0"], "--accounts must be at least 1"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "sim"
    code, stdout, stderr = cli(*args, "--out", str(out))
    assert code == 2, stderr
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_roster_without_anyone_for_a_level_is_exit_2(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "members:\n"
        "  - {code: O1, grade: collection_officer, levels: [junior, intermediate], capacity: 50}\n"
        "  - {code: L1, grade: team_lead, capacity: 5}\n",
        encoding="utf-8",
    )
    out = tmp_path / "sim"
    code, _, stderr = cli("--roster", str(roster), "--out", str(out))
    assert code == 2
    assert "nobody for level advanced" in stderr
    assert not out.exists()


def test_a_store_that_is_not_empty_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    code, _, stderr = cli("--store", f"sqlite:///{sqlite_template}", "--days", "1")
    assert code == 2
    assert "not empty" in stderr


def test_the_command_writes_json_and_an_offline_report(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    code, stdout, _ = cli(
        "--days",
        "2",
        "--accounts",
        "200",
        "--seed",
        "2",
        "--start",
        "2026-01-30",
        "--out",
        str(out),
        "--json",
    )
    payload: dict[str, Any] = json.loads(stdout)
    assert code == (1 if payload["summary"]["broken_invariants"] else 0)
    assert [d["day"] for d in payload["days"]] == ["2026-01-30", "2026-01-31"]
    assert payload["summary"]["month_ends"][0]["month"] == "2026-01"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" in page
    assert 'src="http' not in page  # plotly.js inlined: offline
    assert "Invariants" in page
    assert "Compliance blocks by rule" in page  # the run's blocked attempts, as a table
    assert json.loads((out / "simulation.json").read_text(encoding="utf-8"))["days"]
    assert (out / "store.db").exists()
    assert (out / "warehouse.duckdb").exists()
