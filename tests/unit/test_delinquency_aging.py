"""Aging rules: DPD, buckets, oldest-first, partial payments, the reported path."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.delinquency import (
    BUCKET_NAMES,
    DEFAULT_BUCKETS,
    BucketScheme,
    PaymentFact,
    StatementFact,
    StatusReport,
    age,
    bucket_for,
    bucket_for_status,
)

D = Decimal


def stmt(
    cycle: date, minimum: str = "100", balance: str = "1000", due_days: int = 20
) -> StatementFact:
    return StatementFact(cycle, cycle + timedelta(days=due_days), D(balance), D(minimum))


def monthly(n: int, minimum: str = "100", start: date = date(2005, 4, 5)) -> list[StatementFact]:
    return [stmt(date(start.year, start.month + i, start.day), minimum) for i in range(n)]


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (150, "M5"),
        (151, "M6"),
        (180, "M6"),
        (181, "M7+"),
        (5000, "M7+"),
    ],
)
def test_bucket_edges(dpd: int, bucket: str) -> None:
    assert bucket_for(dpd) == bucket


def test_bucket_names_follow_the_default_scheme() -> None:
    assert DEFAULT_BUCKETS.names == BUCKET_NAMES


def test_negative_dpd_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        bucket_for(-1)


@pytest.mark.parametrize(
    ("status", "bucket"),
    [(-2, "M0"), (-1, "M0"), (0, "M0"), (1, "M1"), (6, "M6"), (7, "M7+"), (9, "M7+")],
)
def test_bucket_for_status(status: int, bucket: str) -> None:
    assert bucket_for_status(status) == bucket


def test_custom_scheme() -> None:
    scheme = BucketScheme.model_validate(
        {"buckets": [{"name": "C", "max_dpd": 0}, {"name": "X1", "max_dpd": 89}, {"name": "NPL"}]}
    )
    assert [bucket_for(d, scheme) for d in (0, 1, 89, 90)] == ["C", "X1", "X1", "NPL"]


@pytest.mark.parametrize(
    "buckets",
    [
        [{"name": "A", "max_dpd": 0}, {"name": "B", "max_dpd": 30}],  # last not open-ended
        [{"name": "A", "max_dpd": 30}, {"name": "B", "max_dpd": 30}, {"name": "C"}],
        [{"name": "A", "max_dpd": 0}, {"name": "A"}],
        [{"name": "A"}, {"name": "B"}],
    ],
)
def test_bad_schemes_are_refused(buckets: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        BucketScheme.model_validate({"buckets": buckets})


def test_nothing_due_yet_is_current() -> None:
    s = stmt(date(2005, 9, 5))
    on_due_date = age(statements=[s], payments=[], as_of=s.due_date)
    assert (on_due_date.dpd, on_due_date.amount_past_due, on_due_date.past_due) == (0, 0, ())
    a = age(statements=[s], payments=[], as_of=s.due_date + timedelta(days=1))
    assert (a.dpd, a.bucket, a.amount_past_due) == (1, "M1", D("100"))
    assert a.oldest_due_date == s.due_date


def test_payments_apply_oldest_first() -> None:
    statements = monthly(3)  # due 04-25, 05-25, 06-25; 100 each
    as_of = date(2005, 7, 1)
    a = age(statements=statements, payments=[PaymentFact(date(2005, 6, 30), D("150"))], as_of=as_of)
    # 150 covers April and half of May: May is the oldest past due.
    assert [(p.due_date, p.unpaid) for p in a.past_due] == [
        (date(2005, 5, 25), D("50")),
        (date(2005, 6, 25), D("100")),
    ]
    assert a.dpd == (as_of - date(2005, 5, 25)).days
    assert a.amount_past_due == D("150")


def test_partial_payment_keeps_dpd_and_full_payment_cures() -> None:
    statements = monthly(1)
    as_of = date(2005, 5, 10)
    unpaid = age(statements=statements, payments=[], as_of=as_of)
    part = age(
        statements=statements, payments=[PaymentFact(date(2005, 5, 1), D("99.99"))], as_of=as_of
    )
    assert part.dpd == unpaid.dpd == 15
    assert part.amount_past_due == D("0.01")
    full = age(
        statements=statements, payments=[PaymentFact(date(2005, 5, 1), D("100"))], as_of=as_of
    )
    assert (full.dpd, full.bucket, full.past_due) == (0, "M0", ())


def test_payments_after_as_of_do_not_count() -> None:
    statements = monthly(1)
    late = PaymentFact(date(2005, 5, 11), D("100"))
    assert age(statements=statements, payments=[late], as_of=date(2005, 5, 10)).dpd == 15


def test_reported_status_k_ages_to_30k_on_the_report_day() -> None:
    statements = monthly(6)  # due 04-25 .. 09-25
    report = StatusReport(date(2005, 10, 1), 2)
    a = age(statements=statements, payments=[], as_of=date(2005, 10, 1), reports=[report])
    assert (a.dpd, a.bucket) == (60, "M2")
    assert [p.due_date for p in a.past_due] == [date(2005, 8, 25), date(2005, 9, 25)]
    assert a.reported == report
    assert a.amount_past_due == D("200")
    later = age(statements=statements, payments=[], as_of=date(2005, 10, 11), reports=[report])
    assert later.dpd == 70


def test_reported_status_is_cured_by_a_later_payment() -> None:
    statements = monthly(6)
    report = StatusReport(date(2005, 10, 1), 2)
    as_of = date(2005, 10, 11)
    partial = age(
        statements=statements,
        payments=[PaymentFact(date(2005, 10, 5), D("150"))],
        as_of=as_of,
        reports=[report],
    )
    assert partial.dpd == 70
    assert [(p.due_date, p.unpaid) for p in partial.past_due] == [(date(2005, 9, 25), D("50"))]
    cured = age(
        statements=statements,
        payments=[PaymentFact(date(2005, 10, 5), D("200"))],
        as_of=as_of,
        reports=[report],
    )
    assert (cured.dpd, cured.bucket, cured.reported) == (0, "M0", None)


def test_payments_before_the_report_are_in_the_report() -> None:
    statements = monthly(6)
    report = StatusReport(date(2005, 10, 1), 1)
    a = age(
        statements=statements,
        payments=[PaymentFact(date(2005, 9, 30), D("10000"))],
        as_of=date(2005, 10, 2),
        reports=[report],
    )
    assert a.dpd == 31


def test_report_with_unknown_instalments_stays_until_a_payment() -> None:
    report = StatusReport(date(2005, 10, 1), 8)
    a = age(statements=[], payments=[], as_of=date(2005, 10, 1), reports=[report])
    assert (a.dpd, a.bucket, a.amount_past_due) == (240, "M7+", D("0"))
    paid = age(
        statements=[],
        payments=[PaymentFact(date(2005, 10, 2), D("1"))],
        as_of=date(2005, 10, 3),
        reports=[report],
    )
    assert paid.dpd == 0


def test_current_report_ages_only_later_statements() -> None:
    statements = monthly(7)  # the last one is due 10-25
    report = StatusReport(date(2005, 10, 1), 0)
    a = age(statements=statements, payments=[], as_of=date(2005, 10, 30), reports=[report])
    assert (a.dpd, a.amount_past_due) == (5, D("100"))


def test_a_report_after_as_of_is_ignored() -> None:
    statements = monthly(1)
    report = StatusReport(date(2005, 10, 1), 5)
    a = age(statements=statements, payments=[], as_of=date(2005, 5, 1), reports=[report])
    assert a.dpd == 6
