"""``portfolio synth``: a generated portfolio in the extract layout, calibrated to the real data.

Each account's monthly repayment status follows the UCI status chain (synth_calibration), six
months up to ``as_of``; the statuses are written as the ``delinquency`` file (reported on the
as-of day of each month), so the portfolio ages on ``as_of`` to the UCI September bucket mix.
Statements and payments are drawn to agree with the path: a current month pays at least the
minimum, a roll forward pays nothing, a cure catches up.

Everything is vectorised with numpy over chunks of ``CHUNK`` accounts; each chunk is appended to
one Parquet row group (or CSV block) per table, so memory stays flat at any portfolio size.
Same seed, same size, same as-of: the same bytes.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from arrears.delinquency.fees import PercentFee, load_fee_schedule
from arrears.kit import config_file
from arrears.kit.errors import BadInput
from arrears.portfolio.layout import ORDER, arrow_schema
from arrears.portfolio.synth_calibration import Calibration, load_calibration

CHUNK = 250_000
MONTHS = 6
HERE = Path(__file__).parent / "profiles"
Format = Literal["parquet", "csv"]


class City(BaseModel):
    model_config = ConfigDict(extra="forbid")
    city: str
    province: str
    tier: int = Field(ge=1, le=4)
    code: str = Field(pattern=r"^[0-9]{6}$")
    area: str = Field(pattern=r"^[0-9]{2,3}$")
    weight: float = Field(gt=0)


class Identity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight: float = Field(ge=0)
    ages: tuple[int, int]
    limit: float = Field(gt=0)
    occupations: list[str]
    employers: list[str]


class SynthProfile(BaseModel):
    """The flavour of a generated portfolio (``profiles/synth_cn.yaml``)."""

    model_config = ConfigDict(extra="forbid")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    product_by_tier: dict[int, list[str]]
    min_payment_ratio: Decimal = Field(gt=0, le=1)
    due_days: dict[int, float]
    limit_median_by_tier: dict[int, int]
    cities: list[City] = Field(min_length=1)
    identities: dict[str, Identity]
    surnames: list[str] = Field(min_length=1)
    given: list[str] = Field(min_length=1)
    streets: list[str] = Field(min_length=1)
    mobile_prefixes: list[str] = Field(min_length=1)
    channels: dict[str, float]


def load_profile(name_or_path: str = "synth_cn") -> SynthProfile:
    """A synth profile by name (shipped in ``portfolio/profiles``) or by path."""
    return config_file.load(SynthProfile, HERE, name_or_path, "synth profile")


@dataclass(frozen=True)
class SynthResult:
    out: Path
    accounts: int
    rows: dict[str, int]
    final_status_counts: list[int]  # by calibration status, at as_of
    transition_counts: list[list[list[int]]]  # by month, generated


# --- small vectorised helpers ------------------------------------------------------------------


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative integers, zero-padded: an (n, width) uint8 matrix."""
    out = np.empty((len(values), width), np.uint8)
    v = values.astype(np.int64)
    for k in range(width - 1, -1, -1):
        out[:, k] = v % 10 + 48
        v //= 10
    return out


def _strings(*parts: np.ndarray | bytes, n: int) -> pa.Array:
    """Join fixed-width ASCII pieces (matrices or constant bytes) into a string array."""
    cols = [
        np.broadcast_to(np.frombuffer(p, np.uint8), (n, len(p))) if isinstance(p, bytes) else p
        for p in parts
    ]
    mat = np.ascontiguousarray(np.hstack(cols))
    return pa.array(mat.view(f"S{mat.shape[1]}").ravel(), pa.binary()).cast(pa.string())


def _money(cents: np.ndarray) -> pa.Array:
    """DECIMAL(18,2) from integer cents, exactly (the 128-bit two's complement, built in place)."""
    raw = np.empty((len(cents), 2), np.int64)
    raw[:, 0] = cents
    raw[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(raw)])


def _pick(rng: np.random.Generator, weights: list[float] | np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _take(values: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _half_even_div(num: np.ndarray, den: int) -> np.ndarray:
    q, r = np.divmod(num, den)
    return q + ((2 * r > den) | ((2 * r == den) & (q % 2 == 1)))


# The schedule the generated book is billed under (its itemised statements' interest and fees).
BILLED_UNDER = "cn-card"


def _itemise(
    cycles: list[np.ndarray],
    bills: list[np.ndarray],
    minimums: list[np.ndarray],
    late: list[np.ndarray],
    paid_on: list[np.ndarray],
    paid: list[np.ndarray],
) -> list[tuple[pa.Array, pa.Array, pa.Array, pa.Array]]:
    """Per month: previous balance, principal, interest and fees billed (cents -> DECIMAL), so
    closing = previous + principal + interest + fees - what was received in the cycle. The
    first month's carry-in is not in the extract: its itemisation is left out (nulls)."""
    schedule = load_fee_schedule(BILLED_UNDER)
    fee_rule, rate = schedule.late_fee, schedule.interest.daily_rate
    assert rate is not None, "the synthetic book is billed at a daily rate"
    r_num, r_den = _fraction(rate)
    n = len(bills[0])
    none = pa.nulls(n, pa.decimal128(18, 2))
    out = [(none, none, none, none)]
    for j in range(1, len(bills)):
        days = (cycles[j] - cycles[j - 1]).astype(int)
        prev, prev_min = bills[j - 1], minimums[j - 1]
        # Past due at this cut: a month's penalty interest and the fee on the missed minimum.
        interest = np.where(late[j], _half_even_div(np.maximum(prev, 0) * r_num * days, r_den), 0)
        if isinstance(fee_rule, PercentFee):
            f_num, f_den = _fraction(fee_rule.rate)
            fee = _half_even_div(prev_min * f_num, f_den)
        else:
            fee = np.minimum(int(fee_rule.amount * 100), prev_min)
        fees = np.where(late[j] & (prev_min > 0), fee, 0)
        window = [(on > cycles[j - 1]) & (on <= cycles[j]) for on in paid_on]
        received = sum((np.where(w, amt, 0) for w, amt in zip(window, paid, strict=True)), 0)
        principal = bills[j] - prev - interest - fees + received
        out.append((_money(prev), _money(principal), _money(interest), _money(fees)))
    return out


def _fraction(rate: Decimal) -> tuple[int, int]:
    places = max(0, -int(rate.normalize().as_tuple().exponent))
    return int(rate.scaleb(places)), 10**places


def _shift_month(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


# --- the generator ------------------------------------------------------------------------------


class _Tables:
    """Probabilities and lookup arrays computed once from the profile and the calibration."""

    def __init__(self, profile: SynthProfile, calibration: Calibration) -> None:
        self.profile = profile
        self.statuses = np.array(calibration.statuses, np.int16)
        init = np.asarray(calibration.initial, float)
        self.initial = init / init.sum()
        pooled = np.sum(np.asarray(calibration.transitions, float), axis=0)
        self.cumulative: list[np.ndarray] = []
        for matrix in calibration.transitions:
            m = np.asarray(matrix, float)
            rows = m.sum(axis=1)
            # A status nobody had that month borrows the pooled row (or stays where it is).
            for i in np.flatnonzero(rows == 0):
                m[i] = pooled[i] if pooled[i].sum() else np.eye(len(m))[i]
            m /= m.sum(axis=1, keepdims=True)
            self.cumulative.append(np.cumsum(m, axis=1))
        self.city_codes = np.array([[int(ch) for ch in c.code] for c in profile.cities], np.uint8)
        self.tiers = np.array([c.tier for c in profile.cities])
        self.identity_names = list(profile.identities)
        self.identities = [profile.identities[k] for k in self.identity_names]
        self.channels = list(profile.channels)
        # Flat lookup lists with per-group offsets, so a draw is one vectorised take().
        occupations = [i.occupations or [""] for i in self.identities]
        self.occupations = [x for o in occupations for x in o]
        self.occupation_count = np.array([len(o) for o in occupations])
        self.occupation_offset = np.concatenate([[0], np.cumsum(self.occupation_count)[:-1]])
        employers = [i.employers or [""] for i in self.identities]
        # Every employer template expanded for every city: index = template * cities + city.
        self.employers = [
            e.replace("{city}", c.city.removesuffix("市")) if e else ""
            for group in employers
            for e in group
            for c in profile.cities
        ]
        self.employer_count = np.array([len(e) for e in employers])
        self.employer_offset = np.concatenate([[0], np.cumsum(self.employer_count)[:-1]])
        top = max(profile.product_by_tier)
        groups = [profile.product_by_tier.get(k, ["classic"]) for k in range(top + 1)]
        self.products = [x for g in groups for x in g]
        self.product_count = np.array([len(g) for g in groups])
        self.product_offset = np.concatenate([[0], np.cumsum(self.product_count)[:-1]])


def synth(
    *,
    accounts: int,
    seed: int,
    out: Path,
    as_of: date,
    fmt: Format = "parquet",
    profile: SynthProfile | None = None,
    calibration: Calibration | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> SynthResult:
    """Write a portfolio of ``accounts`` accounts to ``out`` (one file per extract table)."""
    if accounts < 1:
        raise BadInput("--accounts must be at least 1")
    if fmt not in ("parquet", "csv"):
        raise BadInput(f"--format must be parquet or csv, not {fmt!r}")
    tables = _Tables(profile or load_profile(), calibration or load_calibration())
    out.mkdir(parents=True, exist_ok=True)
    for name in ORDER:
        for suffix in (".csv", ".parquet"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    writers: dict[str, Any] = {}
    rows = dict.fromkeys(ORDER, 0)
    n_status = len(tables.statuses)
    final = np.zeros(n_status, np.int64)
    transitions = np.zeros((MONTHS - 1, n_status, n_status), np.int64)
    try:
        for start in range(0, accounts, CHUNK):
            n = min(CHUNK, accounts - start)
            rng = np.random.default_rng([seed, start // CHUNK])
            chunk, path = _chunk(tables, rng, start, n, as_of)
            for name in ORDER:
                data = chunk[name]
                if name not in writers:
                    target = out / f"{name}.{fmt}"
                    writers[name] = (
                        pq.ParquetWriter(target, data.schema, compression="zstd")
                        if fmt == "parquet"
                        else pacsv.CSVWriter(target, data.schema)
                    )
                writers[name].write_table(data)
                rows[name] += data.num_rows
            final += np.bincount(path[:, -1], minlength=n_status)
            for j in range(MONTHS - 1):
                np.add.at(transitions[j], (path[:, j], path[:, j + 1]), 1)
            if on_chunk:
                on_chunk(n)
    finally:
        for writer in writers.values():
            writer.close()
    return SynthResult(
        out=out,
        accounts=accounts,
        rows=rows,
        final_status_counts=final.tolist(),
        transition_counts=transitions.tolist(),
    )


def _chunk(
    t: _Tables, rng: np.random.Generator, start: int, n: int, as_of: date
) -> tuple[dict[str, pa.Table], np.ndarray]:
    p = t.profile
    index = np.arange(start + 1, start + n + 1)
    customer_id = _strings(b"C", _digits(index, 10), n=n)
    account_id = _strings(b"A", _digits(index, 10), n=n)

    # --- who: identity, age, sex, place -----------------------------------------------------
    ident = _pick(rng, [i.weight for i in t.identities], n)
    lo = np.array([i.ages[0] for i in t.identities])[ident]
    hi = np.array([i.ages[1] for i in t.identities])[ident]
    age = np.clip(np.rint(rng.normal(38, 11, n)), lo, hi).astype(np.int64)
    male = rng.random(n) < 0.5
    city = _pick(rng, [c.weight for c in p.cities], n)
    tier = t.tiers[city]
    born = (
        np.datetime64(as_of, "D")
        - (age * 365.25).astype("timedelta64[D]")
        - rng.integers(1, 365, n).astype("timedelta64[D]")
    )
    y = born.astype("datetime64[Y]").astype(int) + 1970
    m = born.astype("datetime64[M]").astype(int) % 12 + 1
    d = (born - born.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)  # odd for men, even for women
    body = np.hstack(
        [t.city_codes[city], _digits(y, 4) - 48, _digits(m, 2) - 48, _digits(d, 2) - 48]
        + [_digits(seq, 3) - 48]
    ).astype(np.int64)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.frombuffer(b"10X98765432", np.uint8)[(body @ weights) % 11]
    id_number = _strings((body + 48).astype(np.uint8), check[:, None], n=n)

    given2 = rng.random(n) < 0.7
    name = _join(
        _take(p.surnames, rng.integers(0, len(p.surnames), n)),
        _take(p.given, rng.integers(0, len(p.given), n)),
        pc.if_else(
            pa.array(given2),
            _take(p.given, rng.integers(0, len(p.given), n)),
            pa.scalar(""),
        ),
    )
    occ_pick = (rng.random(n) * t.occupation_count[ident]).astype(int)
    occupation = _take(t.occupations, t.occupation_offset[ident] + occ_pick)
    occupation = pc.if_else(pc.equal(occupation, ""), pa.scalar(None, pa.string()), occupation)
    emp_pick = (rng.random(n) * t.employer_count[ident]).astype(int)
    employer_index = (t.employer_offset[ident] + emp_pick) * len(p.cities) + city
    employer = _take(t.employers, employer_index)
    employer = pc.if_else(pc.equal(employer, ""), pa.scalar(None, pa.string()), employer)
    province = _take([c.province for c in p.cities], city)
    city_name = _take([c.city for c in p.cities], city)
    address = _join(
        city_name,
        _take(p.streets, rng.integers(0, len(p.streets), n)),
        pc.cast(pa.array(rng.integers(1, 999, n)), pa.string()),
        "号",
    )
    education = _take(
        ["graduate_school", "university", "high_school", "other"],
        _pick(rng, [8, 42, 40, 10], n),
    )
    married = _take(["married", "single", "other"], _pick(rng, [55, 40, 5], n))
    married = pc.if_else(pa.array(age < 22), pa.scalar("single"), married)
    holders = pa.table(
        {
            "customer_id": customer_id,
            "name": name,
            "id_number": id_number,
            "birth_date": pa.array(born),
            "sex": pa.array(np.where(male, "male", "female")),
            "education": education,
            "marital_status": married,
            "occupation": occupation,
            "employer": employer,
            "identity_category": _take(t.identity_names, ident),
            "province": province,
            "city": city_name,
            "address": address,
            "language": pa.array(np.full(n, "zh-CN")),
            "time_zones": pa.array(np.full(n, "Asia/Shanghai")),
            "flags": pa.nulls(n, pa.string()),
        },
        schema=arrow_schema("cardholders"),
    )

    # --- phones: a mobile each; a work line for the employed ----------------------------------
    prefixes = np.array([[int(c) for c in s] for s in p.mobile_prefixes], np.uint8) + 48
    mobile = _strings(
        b"+86",
        prefixes[rng.integers(0, len(prefixes), n)],
        _digits(rng.integers(0, 10**8, n), 8),
        n=n,
    )
    has_work = (pc.is_valid(employer).to_numpy(zero_copy_only=False)) & (rng.random(n) < 0.5)
    areas = _take([c.area for c in p.cities], city)
    work = _join(
        "+86", areas, pc.cast(pa.array(rng.integers(2 * 10**7, 9 * 10**7, n)), pa.string())
    )
    work_idx = pa.array(np.flatnonzero(has_work))
    phones = pa.table(
        {
            "customer_id": pa.concat_arrays([customer_id, customer_id.take(work_idx)]),
            "number": pa.concat_arrays([mobile, work.take(work_idx)]),
            "type": pa.concat_arrays(
                [pa.array(np.full(n, "mobile")), pa.array(np.full(len(work_idx), "work"))]
            ),
        },
        schema=arrow_schema("phones"),
    )

    # --- contact persons: a relation per slot, so (customer, name, relation) never repeats ----
    contact_cols: dict[str, list[pa.Array]] = {
        "customer_id": [],
        "name": [],
        "relation": [],
        "phone": [],
    }
    is_married = pc.equal(married, "married").to_numpy(zero_copy_only=False)
    slots = (
        (np.where(is_married, "spouse", "parent"), rng.random(n) < 0.95),
        (np.where(rng.random(n) < 0.5, "sibling", "colleague"), rng.random(n) < 0.6),
        (np.where(rng.random(n) < 0.9, "friend", "guarantor"), rng.random(n) < 0.3),
    )
    for relation, present in slots:
        idx = np.flatnonzero(present)
        k = len(idx)
        contact_cols["customer_id"].append(customer_id.take(pa.array(idx)))
        contact_cols["name"].append(
            _join(
                _take(p.surnames, rng.integers(0, len(p.surnames), k)),
                _take(p.given, rng.integers(0, len(p.given), k)),
                _take(p.given, rng.integers(0, len(p.given), k)),
            )
        )
        contact_cols["relation"].append(pa.array(relation[idx]))
        contact_cols["phone"].append(
            _strings(
                b"+86",
                prefixes[rng.integers(0, len(prefixes), k)],
                _digits(rng.integers(0, 10**8, k), 8),
                n=k,
            )
        )
    contacts = pa.table(
        {k: pa.concat_arrays(v) for k, v in contact_cols.items()},
        schema=arrow_schema("contact_persons"),
    )

    # --- the status path: the calibrated monthly chain -----------------------------------------
    path = np.empty((n, MONTHS), np.int64)
    path[:, 0] = (rng.random(n)[:, None] > np.cumsum(t.initial)[None, :]).sum(axis=1)
    for j in range(MONTHS - 1):
        cum = t.cumulative[j][path[:, j]]
        path[:, j + 1] = (rng.random(n)[:, None] > cum).sum(axis=1)
    np.minimum(path, len(t.statuses) - 1, out=path)
    status = t.statuses[path]  # (n, 6) card-system statuses

    # --- the account and its terms ------------------------------------------------------------
    median = np.array([p.limit_median_by_tier[int(k)] for k in tier])
    factor = np.array([i.limit for i in t.identities])[ident]
    limit_yuan = np.clip(
        np.rint(median * factor * rng.lognormal(0, 0.5, n) / 1000) * 1000, 1000, 500_000
    )
    statement_day = rng.integers(1, 29, n)
    due_days = np.array(list(p.due_days))[_pick(rng, list(p.due_days.values()), n)]
    ratio_bp = int(p.min_payment_ratio * 10_000)
    product_pick = (rng.random(n) * t.product_count[tier]).astype(int)
    product = _take(t.products, t.product_offset[tier] + product_pick)
    product = pc.if_else(
        pc.equal(_take(t.identity_names, ident), "student"), pa.scalar("youth"), product
    )
    open_date = np.datetime64(as_of, "D") - rng.integers(200, 3650, n).astype("timedelta64[D]")
    final_bucket = np.minimum(np.maximum(status[:, -1], 0), 7)
    accounts = pa.table(
        {
            "account_id": account_id,
            "customer_id": customer_id,
            "product": product,
            "credit_limit": _money(limit_yuan.astype(np.int64) * 100),
            "currency": pa.array(np.full(n, p.currency)),
            "open_date": pa.array(open_date),
            "statement_day": pa.array(statement_day.astype(np.int16)),
            "due_days": pa.array(due_days.astype(np.int16)),
            "min_payment_ratio": pa.array([p.min_payment_ratio] * n, pa.decimal128(6, 4)),
            "status": pa.array(np.where(final_bucket >= 3, "blocked", "active")),
        },
        schema=arrow_schema("accounts"),
    )

    # --- statements, payments, reports: month by month ----------------------------------------
    reports = [_shift_month(as_of, j - (MONTHS - 1)) for j in range(MONTHS)]
    base_util = rng.beta(2, 4, n)
    limit_cents = limit_yuan.astype(np.int64) * 100
    st_cols: dict[str, list[Any]] = {k: [] for k in arrow_schema("statements").names}
    pay_cols: dict[str, list[Any]] = {k: [] for k in arrow_schema("payments").names}
    rep_cols: dict[str, list[Any]] = {k: [] for k in arrow_schema("delinquency").names}
    pay_owner: list[np.ndarray] = []
    channel_all = _pick(rng, list(p.channels.values()), n * MONTHS).reshape(n, MONTHS)
    kept: dict[str, list[np.ndarray]] = {
        k: [] for k in ("cycle", "bill", "min", "late", "on", "paid")
    }
    for j in range(MONTHS):
        s = status[:, j].astype(np.int64)
        prev = status[:, j - 1].astype(np.int64) if j else s
        report = reports[j]
        # The statement due before this report: cut in the month two before it.
        cut_month = np.datetime64(_shift_month(report, -2).replace(day=1), "D")
        cycle = cut_month + (statement_day - 1).astype("timedelta64[D]")
        due = cycle + due_days.astype("timedelta64[D]")
        util = base_util * rng.uniform(0.85, 1.15, n) + 0.12 * np.minimum(np.maximum(s, 0), 4)
        util = np.where(s == -1, util * 0.5, util)
        bill = np.where(s == -2, 0, np.rint(limit_cents * np.clip(util, 0, 1.1))).astype(np.int64)
        minimum = _half_even_div(np.maximum(bill, 0) * ratio_bp, 10_000)
        st_cols["account_id"].append(account_id)
        st_cols["cycle_date"].append(pa.array(cycle))
        st_cols["due_date"].append(pa.array(due))
        st_cols["closing_balance"].append(_money(bill))
        st_cols["minimum_due"].append(_money(minimum))
        # What was paid against it, by what the next report says.
        revolving = minimum + np.rint(rng.random(n) * 0.6 * (bill - minimum)).astype(np.int64)
        catch_up = minimum * np.maximum(prev - s + 1, 0)
        partial = np.where(rng.random(n) < 0.3, np.rint(minimum * rng.uniform(0.2, 0.9, n)), 0)
        amount = np.select(
            [s == -2, s == -1, s == 0, s <= prev],
            [0, bill, revolving, catch_up],
            default=partial.astype(np.int64),
        ).astype(np.int64)
        on_time = cycle + rng.integers(1, due_days + 1).astype("timedelta64[D]")
        late_days = (np.datetime64(report, "D") - due).astype(int)
        late = due + (1 + (rng.random(n) * np.maximum(late_days - 1, 1)).astype(int)).astype(
            "timedelta64[D]"
        )
        paid_on = np.where(s <= 0, on_time, late)
        paid = np.flatnonzero(amount > 0)
        pay_owner.append(paid)
        for key, value in (("cycle", cycle), ("bill", bill), ("min", minimum), ("late", s >= 1),
                           ("on", paid_on), ("paid", amount)):  # fmt: skip
            kept[key].append(value)
        ym = cut_month.astype("datetime64[M]").astype(int)
        yyyymm = (ym // 12 + 1970) * 100 + ym % 12 + 1
        pay_cols["account_id"].append(account_id.take(pa.array(paid)))
        pay_cols["paid_on"].append(pa.array(paid_on[paid]))
        pay_cols["amount"].append(_money(amount[paid]))
        pay_cols["channel"].append(_take(t.channels, channel_all[paid, j]))
        pay_cols["reference"].append(
            _strings(
                b"P",
                _digits(index[paid], 10),
                b"-",
                _digits(np.full(len(paid), yyyymm), 6),
                n=len(paid),
            )
        )
        rep_cols["account_id"].append(account_id)
        rep_cols["reported_on"].append(pa.array(np.full(n, np.datetime64(report, "D"))))
        rep_cols["status"].append(pa.array(s.astype(np.int16)))

    itemised = _itemise(kept["cycle"], kept["bill"], kept["min"], kept["late"], kept["on"],
                        kept["paid"])  # fmt: skip
    for columns in itemised:
        for name, column in zip(
            ("previous_balance", "principal_billed", "interest_billed", "fees_billed"),
            columns,
            strict=True,
        ):
            st_cols[name].append(column)

    def assemble(name: str, cols: dict[str, list[Any]], owner: list[np.ndarray]) -> pa.Table:
        table = pa.table(
            {k: pa.concat_arrays(v) for k, v in cols.items()}, schema=arrow_schema(name)
        )
        # Account by account, oldest month first: what a card system's extract looks like.
        return table.take(pa.array(np.argsort(np.concatenate(owner), kind="stable")))

    return (
        {
            "cardholders": holders,
            "phones": phones,
            "contact_persons": contacts,
            "accounts": accounts,
            "statements": assemble("statements", st_cols, [np.arange(n)] * MONTHS),
            "payments": assemble("payments", pay_cols, pay_owner),
            "delinquency": assemble("delinquency", rep_cols, [np.arange(n)] * MONTHS),
        },
        path,
    )
