"""How scopes 'assigned', 'agency' and 'team' map to the workforce's assignment tables.

Kept apart from ``scoping`` because it follows the workforce domain's schema.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from arrears.auth.policy import CaseScope, Principal


def filter_for(principal: Principal, scope: CaseScope) -> ColumnElement[bool]:
    # Until the workforce's assignment and placement tables exist, nothing is visible through
    # these scopes: failing closed is the safe default.
    return false()
