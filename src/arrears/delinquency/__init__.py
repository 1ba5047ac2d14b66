"""Delinquency rules, pure: days past due, buckets, fee schedules, the owed breakdown."""

from arrears.delinquency.aging import (
    Aging,
    PastDue,
    PaymentFact,
    StatementFact,
    StatusReport,
    age,
)
from arrears.delinquency.breakdown import (
    AccountTerms,
    Accrual,
    BreakdownItem,
    OwedBreakdown,
    owed_breakdown,
)
from arrears.delinquency.buckets import (
    BUCKET_NAMES,
    DEFAULT_BUCKETS,
    Bucket,
    BucketScheme,
    bucket_for,
    bucket_for_status,
)
from arrears.delinquency.fees import (
    AccrualPolicy,
    AccrualStop,
    FeeSchedule,
    load_fee_schedule,
    shipped_schedules,
)

__all__ = [
    "BUCKET_NAMES",
    "DEFAULT_BUCKETS",
    "AccountTerms",
    "Accrual",
    "AccrualPolicy",
    "AccrualStop",
    "Aging",
    "BreakdownItem",
    "Bucket",
    "BucketScheme",
    "FeeSchedule",
    "OwedBreakdown",
    "PastDue",
    "PaymentFact",
    "StatementFact",
    "StatusReport",
    "age",
    "bucket_for",
    "bucket_for_status",
    "load_fee_schedule",
    "owed_breakdown",
    "shipped_schedules",
]
