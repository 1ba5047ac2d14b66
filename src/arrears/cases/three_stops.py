"""The three stops with an abusive debtor: in order, and stop 3 escalates the case.

1. remind him to mind his language; 2. state that both parties are equals; 3. a serious warning
that other lawful collection measures (formal letter, legal review) will follow.
"""

from __future__ import annotations

from collections.abc import Sequence

from arrears.kit.errors import BadInput, RuleRefused

STOPS = (1, 2, 3)
STOP_SCRIPTS = {1: "stop_1", 2: "stop_2", 3: "stop_3"}


def check_stop(*, given: Sequence[int], stop: int) -> None:
    """Refuse a stop that is not 1, 2 or 3 (``BadInput``) or out of order (``RuleRefused``);
    ``given`` are the stops already recorded."""
    if stop not in STOPS:
        raise BadInput(f"stop must be 1, 2 or 3 (got {stop})")
    expected = next_stop(given)
    if expected is None:
        raise RuleRefused("all three stops have already been given on this case")
    if stop != expected:
        missing = ", ".join(str(s) for s in STOPS if s < stop and s not in given)
        raise RuleRefused(
            f"stop {stop} cannot be given before stop {missing}: the three stops go in order"
            if missing
            else f"stop {stop} was already given; the next stop is {expected}"
        )


def check_in_conversation(*, stop: int, conversation: bool) -> None:
    """A stop is said to the debtor, in a conversation: refused (``RuleRefused``) when no
    conversation with him is logged on the case today."""
    if not conversation:
        raise RuleRefused(
            f"stop {stop} is said to the debtor in a conversation: log today's conversation "
            "with him (the call's outcome) first"
        )


def next_stop(given: Sequence[int]) -> int | None:
    """The next stop due, or ``None`` after stop 3."""
    done = set(given)
    for stop in STOPS:
        if stop not in done:
            return stop
    return None


def escalates(stop: int) -> bool:
    """After stop 3 the case goes to a senior specialist and the customer is flagged."""
    return stop == STOPS[-1]
