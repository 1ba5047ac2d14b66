"""Request and response bodies of the write-off API (no amount in: the store owns it)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from arrears.kit.schema_types import Body, Id


class WriteOffCreate(Body):
    work_order_id: Id
    reason: str = Field(min_length=1, max_length=2000)


class WriteOffDecision(Body):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class WriteOffOut(BaseModel):
    id: int
    work_order_id: Id
    amount: Decimal
    currency: str | None
    status: str
    maker: str
    checker: str | None
