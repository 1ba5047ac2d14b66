"""`portfolio synth`: deterministic, valid against the extract contract, calibrated to UCI."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from arrears.delinquency import PaymentFact, StatementFact, StatusReport, age, bucket_for_status
from arrears.kit.errors import BadInput
from arrears.portfolio import synth as synth_mod
from arrears.portfolio.extract import find_files, validate
from arrears.portfolio.layout import ORDER
from arrears.portfolio.synth_calibration import BUCKETS, load_calibration

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "p"
    synth_mod.synth(accounts=20_000, seed=11, out=out, as_of=AS_OF)
    return out


def read(folder: Path, table: str) -> list[dict[str, object]]:
    return pq.read_table(folder / f"{table}.parquet").to_pylist()


def test_same_seed_same_portfolio_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_mod, "CHUNK", 700)  # several chunks, several row groups
    a = synth_mod.synth(accounts=1500, seed=3, out=tmp_path / "a", as_of=AS_OF)
    b = synth_mod.synth(accounts=1500, seed=3, out=tmp_path / "b", as_of=AS_OF)
    synth_mod.synth(accounts=1500, seed=4, out=tmp_path / "c", as_of=AS_OF)
    assert a.rows == b.rows
    assert pq.ParquetFile(tmp_path / "a" / "accounts.parquet").num_row_groups == 3
    for table in ORDER:
        assert pq.read_table(tmp_path / "a" / f"{table}.parquet").equals(
            pq.read_table(tmp_path / "b" / f"{table}.parquet")
        ), table
    assert not pq.read_table(tmp_path / "a" / "payments.parquet").equals(
        pq.read_table(tmp_path / "c" / "payments.parquet")
    )
    ids = [r["account_id"] for r in read(tmp_path / "a", "accounts")]
    assert ids == sorted(set(ids))
    assert len(ids) == 1500


def test_output_passes_the_importers_validation(portfolio: Path) -> None:
    validated = validate(dict(find_files(portfolio)), sha256="t")
    try:
        assert validated.errors == []
        assert validated.counts()["accounts"] == 20_000
        assert validated.counts()["statements"] == 120_000
    finally:
        validated.close()


def test_csv_output_passes_validation_too(tmp_path: Path) -> None:
    synth_mod.synth(accounts=300, seed=5, out=tmp_path / "c", as_of=AS_OF, fmt="csv")
    validated = validate(dict(find_files(tmp_path / "c")), sha256="t")
    assert validated.errors == []
    assert validated.counts()["cardholders"] == 300
    validated.close()


def test_bucket_mix_matches_the_uci_september_mix(portfolio: Path) -> None:
    target = load_calibration().bucket_mix(load_calibration().final)
    counts = defaultdict(int)
    for r in read(portfolio, "delinquency"):
        if r["reported_on"] == AS_OF:
            counts[bucket_for_status(int(r["status"]))] += 1  # type: ignore[call-overload]
    total = sum(counts.values())
    assert total == 20_000
    for name, share in zip(BUCKETS, target, strict=True):
        assert abs(counts[name] / total - share) < 0.012, (name, counts[name] / total, share)


def test_accounts_age_to_their_reported_bucket(portfolio: Path) -> None:
    """Aged by the delinquency rules (docs/delinquency.md), each account lands in its bucket."""
    sample = {f"A{i:010d}" for i in range(1, 20_001, 7)}
    statements: dict[str, list[StatementFact]] = defaultdict(list)
    payments: dict[str, list[PaymentFact]] = defaultdict(list)
    reports: dict[str, list[StatusReport]] = defaultdict(list)
    for r in read(portfolio, "statements"):
        if r["account_id"] in sample:
            statements[r["account_id"]].append(  # type: ignore[index]
                StatementFact(
                    r["cycle_date"], r["due_date"], r["closing_balance"], r["minimum_due"]
                )  # type: ignore[arg-type]
            )
    for r in read(portfolio, "payments"):
        if r["account_id"] in sample:
            assert r["paid_on"] <= AS_OF  # type: ignore[operator]
            payments[r["account_id"]].append(  # type: ignore[index]
                PaymentFact(r["paid_on"], r["amount"], r["reference"])  # type: ignore[arg-type]
            )
    for r in read(portfolio, "delinquency"):
        if r["account_id"] in sample:
            reports[r["account_id"]].append(StatusReport(r["reported_on"], r["status"]))  # type: ignore[arg-type,index]
    mismatched = []
    for account in sample:
        latest = max(reports[account], key=lambda s: s.reported_on)
        aging = age(
            statements=statements[account],
            payments=payments[account],
            as_of=AS_OF,
            reports=reports[account],
        )
        if aging.bucket != bucket_for_status(latest.status):
            mismatched.append((account, aging.bucket, latest.status))
    assert mismatched == []


def test_statements_and_payments_hold_together(portfolio: Path) -> None:
    for r in read(portfolio, "statements")[:5000]:
        assert r["due_date"] >= r["cycle_date"]  # type: ignore[operator]
        assert r["cycle_date"] < AS_OF  # type: ignore[operator]
        assert r["minimum_due"] >= 0  # type: ignore[operator]
    amounts = [r["amount"] for r in read(portfolio, "payments")]
    assert min(amounts) > 0  # type: ignore[type-var]


def test_itemised_statements_add_up_to_their_own_balances(portfolio: Path) -> None:
    """closing = previous + principal + interest + fees - what was received in the cycle, and
    the previous balance is the prior statement's closing balance (docs/synth.md)."""
    statements: dict[object, list[dict[str, object]]] = defaultdict(list)
    for r in read(portfolio, "statements"):
        statements[r["account_id"]].append(r)
    payments: dict[object, list[dict[str, object]]] = defaultdict(list)
    for r in read(portfolio, "payments"):
        payments[r["account_id"]].append(r)
    checked = charged = 0
    for account, rows in list(statements.items())[:3000]:
        rows.sort(key=lambda r: r["cycle_date"])  # type: ignore[arg-type,return-value]
        assert rows[0]["previous_balance"] is None  # the carry-in is not in the extract
        for prev, cur in zip(rows, rows[1:], strict=False):
            received = sum(
                (p["amount"] for p in payments[account]
                 if prev["cycle_date"] < p["paid_on"] <= cur["cycle_date"]),  # type: ignore[operator]
                Decimal(0),
            )  # fmt: skip
            assert cur["previous_balance"] == prev["closing_balance"]
            parts = (cur["previous_balance"], cur["principal_billed"], cur["interest_billed"],
                     cur["fees_billed"])  # fmt: skip
            assert sum(parts) - received == cur["closing_balance"]  # type: ignore[arg-type]
            assert cur["interest_billed"] >= 0  # type: ignore[operator]
            assert cur["fees_billed"] >= 0  # type: ignore[operator]
            charged += cur["fees_billed"] > 0  # type: ignore[operator]
            checked += 1
    assert checked > 10_000
    assert charged > 100  # late accounts were billed fees


def _id_check(number: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


def test_people_look_like_a_chinese_card_center(portfolio: Path) -> None:
    holders = read(portfolio, "cardholders")
    assert all(_id_check(str(h["id_number"])) for h in holders)
    # The ID number carries the birth date and the sex (odd 17th digit for men).
    for h in holders[:2000]:
        assert str(h["id_number"])[6:14] == h["birth_date"].strftime("%Y%m%d")  # type: ignore[attr-defined]
        assert (int(str(h["id_number"])[16]) % 2 == 1) == (h["sex"] == "male")
    categories = {h["identity_category"] for h in holders}
    assert categories == set(synth_mod.load_profile().identities)
    students = [h for h in holders if h["identity_category"] == "student"]
    assert all(AS_OF.year - h["birth_date"].year <= 26 for h in students)  # type: ignore[attr-defined]
    assert {h["province"] for h in holders} >= {"北京市", "广东省", "四川省"}
    phones = read(portfolio, "phones")
    mobiles = [p["number"] for p in phones if p["type"] == "mobile"]
    assert len(mobiles) == 20_000
    assert all(re.fullmatch(r"\+861[3-9][0-9]{9}", str(m)) for m in mobiles)
    relations = {c["relation"] for c in read(portfolio, "contact_persons")}
    assert {"spouse", "parent", "sibling", "colleague", "friend"} <= relations
    assert {a["currency"] for a in read(portfolio, "accounts")} == {"CNY"}


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="at least 1"):
        synth_mod.synth(accounts=0, seed=1, out=tmp_path, as_of=AS_OF)
    with pytest.raises(BadInput, match="parquet or csv"):
        synth_mod.synth(accounts=5, seed=1, out=tmp_path, as_of=AS_OF, fmt="xlsx")  # type: ignore[arg-type]


def test_profile_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (synth_mod.HERE / "synth_cn.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("currency: CNY", "currency: yuan"), encoding="utf-8")
    with pytest.raises(BadInput, match="currency"):
        synth_mod.load_profile(str(bad))
    with pytest.raises(BadInput, match="no synth profile"):
        synth_mod.load_profile("nope")
