"""Who may do what: the one table of roles and permissions, and who sees personal data.

Pure: no database, no web framework. Every permission check in the app goes through ``can``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal[
    "collector",
    "senior_specialist",
    "team_lead",
    "head_of_collections",
    "compliance_officer",
    "analyst",
    "admin",
    "agency_user",
]
ROLES: tuple[Role, ...] = (
    "collector",
    "senior_specialist",
    "team_lead",
    "head_of_collections",
    "compliance_officer",
    "analyst",
    "admin",
    "agency_user",
)

# Which work orders a role may open: its own assignments, its own and its mentees', its
# agency's placements, its team's cases, every case, or none at all. Repositories turn this
# into a WHERE clause.
CaseScope = Literal["assigned", "mentees", "agency", "team", "all", "none"]

# Permission names, grouped by the page or API family that needs them.
PERMISSIONS: tuple[str, ...] = (
    "queue.read",  # my queue, next case
    "case.read",  # open a case within the role's scope
    "case.work",  # log contacts, promises, three stops, notes
    "case.escalated.read",  # the escalated / problem-customer queue
    "case.reassign",
    "settlement.propose",
    "settlement.approve",
    "plan.approve",
    "compliance.check",  # ask the compliance engine before acting
    "compliance.read",  # blocked and overridden actions, profiles
    "compliance.override",
    "audit.read",
    "dashboard.read",  # team dashboard, charts
    "analytics.read",
    "pii.unmask",  # reveal a masked field; audited every time
    "users.manage",
    "staff.manage",
    "agencies.manage",
    "legal.work",  # legal cases: open, move stages, costs, documents, the legal queue
    "cycle.read",
    "cycle.run",
    "cycle.abandon",  # mark a running cycle run failed at once (its process is gone)
    "imports.manage",
    "tokens.manage",  # own API tokens
)

_WORKER = {"queue.read", "case.read", "case.work", "compliance.check", "tokens.manage"}

POLICY: dict[str, frozenset[str]] = {
    "collector": frozenset(_WORKER | {"settlement.propose"}),
    "agency_user": frozenset(_WORKER),
    "senior_specialist": frozenset(
        _WORKER | {"settlement.propose", "case.escalated.read", "pii.unmask", "legal.work"}
    ),
    "team_lead": frozenset(
        _WORKER
        | {
            "settlement.propose",
            "settlement.approve",
            "plan.approve",
            "case.escalated.read",
            "case.reassign",
            "legal.work",
            "dashboard.read",
            "analytics.read",
            "pii.unmask",
            "cycle.read",
            "cycle.abandon",
        }
    ),
    # The top of the approval chain (promises policy): approves what is above a team lead's
    # limit or a team lead's own proposal, on every team's cases.
    "head_of_collections": frozenset(
        {
            "queue.read",
            "case.read",
            "case.escalated.read",
            "settlement.approve",
            "plan.approve",
            "dashboard.read",
            "analytics.read",
            "pii.unmask",
            "audit.read",
            "cycle.read",
            "tokens.manage",
        }
    ),
    "compliance_officer": frozenset(
        {
            "case.read",
            "compliance.check",
            "compliance.read",
            "compliance.override",
            "audit.read",
            "pii.unmask",
            "tokens.manage",
        }
    ),
    "analyst": frozenset({"dashboard.read", "analytics.read", "cycle.read", "tokens.manage"}),
    "admin": frozenset(
        {
            "users.manage",
            "staff.manage",
            "agencies.manage",
            "cycle.read",
            "cycle.run",
            "cycle.abandon",
            "imports.manage",
            "audit.read",
            "tokens.manage",
        }
    ),
}

CASE_SCOPE: dict[str, CaseScope] = {
    "collector": "assigned",
    "agency_user": "agency",
    "senior_specialist": "mentees",
    "team_lead": "team",
    "head_of_collections": "all",
    "compliance_officer": "all",
    "analyst": "none",
    "admin": "none",
}

# Everyone sees personal data masked by default; roles with ``pii.unmask`` may reveal a field,
# one at a time, and each reveal is written to the audit trail.
MASKED_BY_DEFAULT = frozenset(ROLES)

# Where each role lands after signing in.
HOME: dict[str, str] = {
    "collector": "/queue",
    "agency_user": "/queue",
    "senior_specialist": "/queue",
    "team_lead": "/queue",
    "head_of_collections": "/approvals",
    "compliance_officer": "/compliance",
    "analyst": "/dashboard",
    "admin": "/admin/users",
}


def can(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (unknown permissions are a programming error)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in POLICY.get(role, frozenset())


def case_scope(role: str) -> CaseScope:
    return CASE_SCOPE.get(role, "none")


@dataclass(frozen=True)
class Principal:
    """The signed-in user (or API token holder, or the user a CLI command acts as) a request or
    command acts for."""

    user_id: int
    username: str
    role: str
    display_name: str = ""
    agency_id: int | None = None
    staff_id: int | None = None
    locale: str = "zh-CN"
    via: Literal["session", "token", "cli"] = "session"
    session_id: int | None = None

    def can(self, permission: str) -> bool:
        return can(self.role, permission)

    @property
    def masked(self) -> bool:
        return self.role in MASKED_BY_DEFAULT

    @property
    def case_scope(self) -> CaseScope:
        return case_scope(self.role)

    @property
    def actor(self) -> str:
        """How the audit trail names this principal."""
        return f"user:{self.username}"

    @property
    def collector_ref(self) -> str:
        """Who collects when this principal contacts a customer: its agency, else the bank."""
        return f"agency:{self.agency_id}" if self.agency_id else "bank"
