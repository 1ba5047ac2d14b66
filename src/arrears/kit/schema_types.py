"""Bounded types for what callers send: a value the store cannot hold is a 422 naming the
field, never a 500 from the database driver.

- ids and offsets fit the store's BIGINT (ids are BIGINT on PostgreSQL, SQLite's INTEGER is as
  wide; PostgreSQL's OFFSET is BIGINT): past it the driver fails, which was a 500;
- a count the store keeps in an INTEGER column (a call's seconds, a plan's instalments) says so
  with ``Field(le=DB_INT_MAX)`` where it is declared;
- text carries no NUL byte (PostgreSQL refuses it in a text column): every body derives from
  ``Body``;
- amounts are bounded where they are parsed (``kit.money.to_decimal``: finite, at most 16 digits
  before the point, as NUMERIC(18, 2) holds).

``Id`` and ``Offset`` go on route parameters and on body fields naming a row the store looks up
(FastAPI reads the bounds into the OpenAPI schema). An integer the code only compares (a
``version``) or checks against a policy first (a token's ``days``) needs no bound.
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


def _check_text(value: object) -> None:
    """No NUL in any text, also inside lists and mappings."""
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)


class Body(BaseModel):
    """Base of every request body: unknown fields are refused, and no text field holds a NUL
    (the 422 names the field). Integers are bounded where they are declared: ``Id`` for a
    row the store looks up, ``Field(le=DB_INT_MAX)`` for a count kept in an INTEGER column."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_in_text(cls, value: object) -> object:
        _check_text(value)
        return value
