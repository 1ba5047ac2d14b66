"""The behaviour model and the roster: calibration against the real data, the meaning of each
monthly outcome, seeded draws, roster validation and the default roster's sizing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.kit.errors import BadInput
from arrears.simulation import behaviour as bm
from arrears.simulation.calibration import calibrate
from arrears.simulation.roster import (
    HEADROOM,
    Member,
    Roster,
    check_levels,
    default_roster,
    expected_open,
    load_roster,
)

LEVEL_GRADES = {
    "junior": ["collection_officer"],
    "intermediate": ["collection_officer"],
    "advanced": ["senior_collection_specialist"],
    "legal": ["senior_collection_specialist"],
    "outsource": [],
    "write_off_review": ["team_lead", "manager"],
}


def test_the_shipped_figures_are_the_real_datas(uci_csv: Path) -> None:
    shipped = bm.load_behaviour().uci
    computed = calibrate(uci_csv)
    assert shipped.outcomes == computed["outcomes"]
    assert shipped.pay_ratio_quantiles == computed["pay_ratio_quantiles"]
    assert shipped.pay_ratio_samples == computed["pay_ratio_samples"]


def test_outcome_shares_borrow_where_the_data_has_no_row() -> None:
    b = bm.load_behaviour()
    assert b.outcome_shares("M1") == b.outcome_shares("M2")
    m0 = b.outcome_shares("M0")
    assert m0["miss"] == pytest.approx(8069 / (8069 + 123723))
    assert sum(b.outcome_shares("M3").values()) == pytest.approx(1.0)


@given(
    outcome=st.sampled_from(["pay", "miss", "cure", "improve", "stay", "roll"]),
    balance=st.integers(0, 10_000_000),
    past_due=st.integers(0, 5_000_000),
    minimum=st.integers(0, 1_000_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_outcome_pays_what_it_means(
    outcome: str, balance: int, past_due: int, minimum: int, seed: int
) -> None:
    b = bm.load_behaviour()
    figures = bm.Figures(balance=balance, past_due=past_due, minimum=minimum)
    paid = bm.monthly_amount(b, outcome, figures, np.random.default_rng(seed))
    owed = past_due + minimum
    assert paid >= 0
    if outcome in ("pay", "cure"):
        assert paid >= min(owed, max(balance, owed))
    elif outcome in ("stay", "improve"):
        assert paid < max(owed, 1)
    else:
        assert paid < max(minimum, 1)


def test_draws_are_seeded() -> None:
    b = bm.load_behaviour()
    first = [bm.draw_outcome(b, "M2", np.random.default_rng([3, 1])) for _ in range(5)]
    again = [bm.draw_outcome(b, "M2", np.random.default_rng([3, 1])) for _ in range(5)]
    assert first == again


def test_a_bad_behaviour_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("uci: {}\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"b\.yaml"):
        bm.load_behaviour(str(path))
    with pytest.raises(BadInput, match="no file"):
        bm.load_behaviour(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize("accounts", [500, 1000, 3000, 30000])
def test_the_default_roster_has_10_to_20_percent_headroom(accounts: int) -> None:
    roster = default_roster(accounts=accounts, days=60, seed=11)
    need = expected_open(accounts)
    officers = sum(m.capacity for m in roster.members if m.grade == "collection_officer")
    in_house = need["junior"] + need["intermediate"]
    assert 1.10 * in_house <= officers <= 1.20 * in_house + 3 * 5  # rounding up per head
    grades = {m.grade for m in roster.members}
    assert grades == {"collection_officer", "senior_collection_specialist", "team_lead"}
    assert roster.agency is not None
    assert len(roster.hires) == 2
    assert len(roster.leavers) == 1
    check_levels(roster, LEVEL_GRADES)
    assert pytest.approx(1.15) == HEADROOM


@pytest.mark.parametrize("accounts", [500, 1000, 3000, 30000])
def test_the_default_roster_has_seniors_for_the_book_after_the_first_night(accounts: int) -> None:
    """The synth book reports every account at exactly 30 x k dpd, so from the first night on the
    UCI M2 accounts (8.89%) are at level advanced and M3 (1.07%) at legal: the seniors' work."""
    roster = default_roster(accounts=accounts, days=60, seed=11)
    seniors = sum(m.capacity for m in roster.members if m.grade == "senior_collection_specialist")
    peak = (0.0889 + 0.0107) * accounts
    assert 1.10 * peak <= seniors <= 1.20 * peak + 2 * 5  # rounding up per head


def test_a_roster_without_anyone_for_a_level_is_refused() -> None:
    roster = Roster(
        members=[
            Member(code="O1", grade="collection_officer", levels=["junior"], capacity=10),
            Member(code="L1", grade="team_lead", capacity=5),
        ]
    )
    with pytest.raises(BadInput, match="nobody for level intermediate"):
        check_levels(roster, LEVEL_GRADES)


def test_roster_files_are_validated(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no file"):
        load_roster(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("members:\n  - {code: O1, grade: janitor, capacity: 1}\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"members\.0\.grade"):
        load_roster(bad)
    dupes = tmp_path / "dupes.yaml"
    dupes.write_text(
        "members:\n  - {code: O1, grade: collection_officer, capacity: 1}\n"
        "  - {code: O1, grade: collection_officer, capacity: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput, match="duplicate staff codes: O1"):
        load_roster(dupes)


def test_a_promise_replaces_the_months_payment_it_brings_forward() -> None:
    from datetime import date

    from arrears.simulation.payments import PaymentBook, Scheduled

    book = PaymentBook()
    day = date(2026, 1, 10)
    book.schedule(date(2026, 1, 25), Scheduled(7, 50_000, "monthly"))
    book.schedule(date(2026, 1, 12), Scheduled(8, 10_000, "monthly"))
    assert book.cancel(7, day) == 50_000
    book.schedule(date(2026, 1, 13), Scheduled(7, 50_000, "promise"))
    assert book.due(date(2026, 1, 25)) == []
    assert [(s.account, s.why) for s in book.due(date(2026, 1, 13))] == [(7, "promise")]
    assert [s.account for s in book.due(date(2026, 1, 12))] == [8]


def test_a_statement_is_cut_from_the_last_one_less_payments() -> None:
    from datetime import date
    from decimal import Decimal

    from arrears.simulation.payments import Account, cut_statement

    account = Account(
        ref="A1",
        customer="C1",
        statement_day=10,
        due_days=20,
        min_ratio=Decimal("0.10"),
        credit_limit=5_000_000,
        closing=1_000_000,
        minimum=100_000,
        paid_since=300_000,
    )
    due, closing, minimum = cut_statement(
        account, on=date(2026, 2, 10), delinquent=True, rng=np.random.default_rng(1)
    )
    assert due == date(2026, 3, 2)
    assert (closing, minimum) == (700_000, 70_000)  # blocked: no new spending
    assert account.paid_since == 0


# --- collectors who test the limits -------------------------------------------------------------


def test_the_shipped_model_has_pushy_collectors_drawn_by_code_and_seed() -> None:
    b = bm.load_behaviour()
    assert 0 < b.pressure.pushy_share < 1
    assert b.pressure.redials_max >= 3  # enough to reach cn-card's daily cap of three dials
    codes = [f"O{i:03d}" for i in range(400)]
    pushy = bm.pushy(b, codes, seed=11)
    assert pushy == bm.pushy(b, codes, seed=11)  # the same seed: the same collectors
    assert pushy != bm.pushy(b, codes, seed=12)
    assert abs(len(pushy) / len(codes) - b.pressure.pushy_share) < 0.08
    # A hire or a leaver does not change who else is pushy.
    assert bm.pushy(b, codes[:200], seed=11) == {c for c in pushy if c in codes[:200]}


def test_a_behaviour_file_without_pressure_has_no_pushy_collector(tmp_path: Path) -> None:
    import yaml

    raw = bm.load_behaviour().model_dump(mode="json")
    raw.pop("pressure")
    path = tmp_path / "calm.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    calm = bm.load_behaviour(str(path))
    assert calm.pressure == bm.NO_PRESSURE
    assert bm.pushy(calm, ["O01", "O02", "S01"], seed=11) == frozenset()
    raw["pressure"] = {**bm.load_behaviour().pressure.model_dump(), "redial": 1.5}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(BadInput, match="redial"):
        bm.load_behaviour(str(path))
