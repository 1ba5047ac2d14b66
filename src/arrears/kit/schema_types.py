"""Bounded types for what callers send: a value the store cannot hold is a 422 naming the
field, never a 500 from the database driver.

- ids and offsets fit the store's BIGINT (ids are BIGINT on PostgreSQL, SQLite's INTEGER is as
  wide; PostgreSQL's OFFSET is BIGINT): past it the driver fails, which was a 500;
- a count the store keeps in an INTEGER column (a call's seconds, a plan's instalments) says so
  with ``Field(le=DB_INT_MAX)`` where it is declared;
- text carries no NUL byte (PostgreSQL refuses it in a text column);
- amounts are bounded where they are parsed (``kit.money.to_decimal``: finite, at most 16 digits
  before the point, as NUMERIC(18, 2) holds).

``Id`` and ``Offset`` go on route parameters (FastAPI reads the bounds into the OpenAPI schema);
every request body derives from ``Body``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

DB_INT_MAX = 2**31 - 1  # INTEGER columns
DB_BIGINT_MAX = 2**63 - 1  # BIGINT: ids, and PostgreSQL's OFFSET

Id = Annotated[int, Field(ge=1, le=DB_BIGINT_MAX)]
"""A row id: positive, within the store's BIGINT."""

Offset = Annotated[int, Field(ge=0, le=DB_BIGINT_MAX)]
"""How many rows to skip."""


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _check_bounds(value: object) -> None:
    """Every integer within the store's BIGINT, every text without NUL, also inside lists and
    mappings (request bodies hold nothing the store keeps wider)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -DB_BIGINT_MAX - 1 <= value <= DB_BIGINT_MAX:
            raise ValueError(f"must be between {-DB_BIGINT_MAX - 1} and {DB_BIGINT_MAX}")
    elif isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_bounds(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_bounds(key)
            _check_bounds(item)


class Body(BaseModel):
    """Base of every request body: unknown fields are refused, and every integer and text
    field is checked against what the store can hold (``_check_bounds``); the 422 names it."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _within_the_store(cls, value: object) -> object:
        _check_bounds(value)
        return value
