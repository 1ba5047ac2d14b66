"""A message's life, as a state machine. Pure.

queued -> held (compliance says not now: the rule and the next allowed time are kept)
queued | held -> sent (a transport took it) | failed (refused too often, or for good)
              | bounced (refused for good by the recipient's side) | cancelled
sent -> delivered | bounced | failed (the transport's delivery receipt)
"""

from __future__ import annotations

from arrears.kit.errors import IllegalTransition

MESSAGE_STATUSES: tuple[str, ...] = (
    "queued",
    "held",
    "sent",
    "delivered",
    "bounced",
    "failed",
    "cancelled",
)
# What the relay still has to hand over.
PENDING: tuple[str, ...] = ("queued", "held")
FINAL: tuple[str, ...] = ("delivered", "bounced", "failed", "cancelled")

_MOVES: dict[str, frozenset[str]] = {
    "queued": frozenset({"queued", "held", "sent", "failed", "bounced", "cancelled"}),
    "held": frozenset({"queued", "held", "sent", "failed", "bounced", "cancelled"}),
    "sent": frozenset({"delivered", "bounced", "failed"}),
    # A late bounce (a mailbox that accepted, then returned the message) follows a delivery.
    "delivered": frozenset({"bounced"}),
    "bounced": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in _MOVES.get(current, frozenset())


def move(current: str, target: str) -> str:
    """``target`` if the machine allows it, else ``IllegalTransition`` (409)."""
    if not can_move(current, target):
        raise IllegalTransition(f"a {current} message cannot become {target}")
    return target
