"""Build a pydantic request body from values typed into a form or on the command line, turning
a validation failure into ``BadInput`` that names the field (never a traceback)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from arrears.kit.errors import BadInput

M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **values: Any) -> M:
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or model.__name__
        raise BadInput(f"{where}: {first.get('msg', 'invalid')}") from None
