"""Delinquency buckets: named bands of days past due (M0 current, M1 1-30, ... M7+ over 180)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.vocabulary import BUCKETS


class Bucket(BaseModel):
    """One band: accounts with ``dpd <= max_dpd`` not caught by an earlier band."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=16)
    max_dpd: int | None = Field(default=None, ge=0, description="None: open-ended (last band)")


class BucketScheme(BaseModel):
    """Ordered bands; the last one is open-ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buckets: tuple[Bucket, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> BucketScheme:
        names = [b.name for b in self.buckets]
        if len(set(names)) != len(names):
            raise ValueError("bucket names must be unique")
        *closed, last = self.buckets
        if last.max_dpd is not None:
            raise ValueError(f"the last bucket ({last.name}) must be open-ended (max_dpd: null)")
        previous = -1
        for b in closed:
            if b.max_dpd is None:
                raise ValueError(f"only the last bucket may be open-ended, not {b.name}")
            if b.max_dpd <= previous:
                raise ValueError(f"max_dpd must increase: {b.name} has {b.max_dpd}")
            previous = b.max_dpd
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.buckets)


BUCKET_NAMES = BUCKETS

DEFAULT_BUCKETS = BucketScheme(
    buckets=(
        Bucket(name="M0", max_dpd=0),
        *(Bucket(name=f"M{k}", max_dpd=30 * k) for k in range(1, 7)),
        Bucket(name="M7+", max_dpd=None),
    )
)


def bucket_for(dpd: int, scheme: BucketScheme = DEFAULT_BUCKETS) -> str:
    """The bucket of an account ``dpd`` days past due."""
    if dpd < 0:
        raise ValueError(f"dpd cannot be negative: {dpd}")
    for b in scheme.buckets:
        if b.max_dpd is None or dpd <= b.max_dpd:
            return b.name
    raise AssertionError("unreachable: the last bucket is open-ended")  # pragma: no cover


def bucket_for_status(status: int) -> str:
    """The bucket of a card-system repayment status: -2, -1, 0 current; k cycles late is Mk."""
    if status <= 0:
        return "M0"
    if status >= 7:
        return "M7+"
    return f"M{status}"
