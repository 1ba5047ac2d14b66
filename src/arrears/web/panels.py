"""Panels on the case page contributed by the workflow domains (contact form with the live
compliance pre-check, promises, three stops, scripts, settlements). Each panel renders its own
template fragment from the domain's own services; the case page only lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.web.schemas import CaseView


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


class CasePanel(Protocol):
    def applies(self, principal: Principal) -> bool: ...

    def __call__(self, *, session: Session, principal: Principal, view: CaseView) -> Panel: ...


CASE_PANELS: list[CasePanel] = []
