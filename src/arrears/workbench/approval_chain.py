"""Every approval request has someone who can approve it: the promises policy's approval chain
checked against the role table, at start-up (the app factory and the CLI), in one line."""

from __future__ import annotations

from arrears.auth import policy as roles
from arrears.kit.errors import BadInput
from arrears.promises.policy import ApprovalRules


def check(rules: ApprovalRules) -> None:
    """Refuse (``BadInput``, one line) a chain naming a role that does not exist, cannot approve
    plans and settlements, or sees no case to approve."""
    for level in rules.chain:
        where = f"promise policy approval.chain: {level.role}"
        if level.role not in roles.ROLES:
            raise BadInput(f"{where} is not a role ({', '.join(roles.ROLES)})")
        missing = [
            p for p in ("plan.approve", "settlement.approve") if not roles.can(level.role, p)
        ]
        if missing:
            raise BadInput(
                f"{where} lacks {' and '.join(missing)}: nobody at that level can approve"
            )
        if roles.case_scope(level.role) == "none":
            raise BadInput(f"{where} sees no case, so it cannot approve one")
