"""The payment intent's state machine. Pure.

created -> pending -> succeeded | failed | cancelled | expired.

Webhooks arrive late, twice, or out of order (``succeeded`` before ``pending``; a ``failed``
retried after the customer paid with another card). So a move never depends on the order in
which events arrive: each state has a rank and an event moves the intent to the higher of the
two ranks. ``succeeded`` outranks everything, because the provider saying the money was taken
is the one fact that must not be lost (a provider may report ``failed`` for a first card and
``succeeded`` for a second, and an intent we cancelled or let expire may still be paid at the
provider's page); nothing leaves ``succeeded``. Among the other final states a fixed order
decides. Taking the maximum is commutative, associative and idempotent: the final state, and
whether the intent was posted (once, on the move into ``succeeded``), are the same for any
order or repetition of the same events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

INTENT_STATUSES = ("created", "pending", "succeeded", "failed", "cancelled", "expired")
# What a provider's event may say about an intent.
PROVIDER_EVENTS = ("pending", "succeeded", "failed", "cancelled", "expired")
EVENT_OUTCOMES = ("applied", "ignored", "mismatch", "unknown_intent")
# Each status in the customer's words (msgids of the web catalog, translated there).
STATUS_WORDS = {
    "created": "Payment started",
    "pending": "Payment pending",
    "succeeded": "Payment succeeded",
    "failed": "Payment failed",
    "cancelled": "Payment cancelled",
    "expired": "Payment expired",
}
FINAL = frozenset({"succeeded", "failed", "cancelled", "expired"})
# Still able to take the customer's money: holds part of what the account owes.
OPEN = frozenset({"created", "pending"})

_RANK = {
    "created": 0,
    "pending": 1,
    "expired": 2,
    "cancelled": 3,
    "failed": 4,
    "succeeded": 5,
}


@dataclass(frozen=True)
class Move:
    """What one event does to an intent: where it goes, and whether to post the payment."""

    before: str
    after: str
    posts: bool

    @property
    def changed(self) -> bool:
        return self.after != self.before


def move(status: str, event: str) -> Move:
    """The intent in ``status`` receives ``event`` (a provider event or a local ``cancelled`` /
    ``expired``)."""
    if status not in _RANK:
        raise ValueError(f"not an intent status: {status!r}")
    if event not in _RANK or event == "created":
        raise ValueError(f"not a payment event: {event!r}")
    after = event if _RANK[event] > _RANK[status] else status
    return Move(before=status, after=after, posts=after == "succeeded" != status)


def settle(events: Iterable[str], start: str = "created") -> tuple[str, int]:
    """The state after ``events`` in the given order, and how many payments were posted."""
    status, posted = start, 0
    for event in events:
        step = move(status, event)
        status, posted = step.after, posted + step.posts
    return status, posted
