"""The payment intent's state machine (issue 16 §4): out-of-order and repeated webhook events
end in the same state with the same number of posted payments, whatever the order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.payments.states import FINAL, INTENT_STATUSES, PROVIDER_EVENTS, move, settle

events = st.sampled_from(PROVIDER_EVENTS)


def test_the_happy_path_posts_once() -> None:
    assert settle(["pending", "succeeded"]) == ("succeeded", 1)


@pytest.mark.parametrize(
    ("arrivals", "final", "posted"),
    [
        (["succeeded", "pending"], "succeeded", 1),  # the success overtook the pending
        (["succeeded", "failed"], "succeeded", 1),  # a late failure changes nothing
        (["pending", "succeeded", "pending", "failed"], "succeeded", 1),
        (["failed", "succeeded"], "succeeded", 1),  # a first card declined, a second paid
        (["pending", "failed", "pending"], "failed", 0),
        (["cancelled", "succeeded"], "succeeded", 1),  # paid on a page we had given up on
        (["expired", "pending"], "expired", 0),
        (["failed", "cancelled", "expired"], "failed", 0),
        ([], "created", 0),
    ],
)
def test_out_of_order_arrivals(arrivals: list[str], final: str, posted: int) -> None:
    assert settle(arrivals) == (final, posted)


def test_nothing_leaves_succeeded() -> None:
    for event in PROVIDER_EVENTS:
        step = move("succeeded", event)
        assert (step.after, step.posts, step.changed) == ("succeeded", False, False)


def test_only_the_move_into_succeeded_posts() -> None:
    for status in INTENT_STATUSES:
        for event in PROVIDER_EVENTS:
            step = move(status, event)
            assert step.posts == (step.after == "succeeded" and status != "succeeded")
            assert step.after in INTENT_STATUSES


def test_unknown_states_and_events_are_refused() -> None:
    with pytest.raises(ValueError, match="not an intent status"):
        move("paid", "succeeded")
    with pytest.raises(ValueError, match="not a payment event"):
        move("pending", "refunded")
    with pytest.raises(ValueError, match="not a payment event"):
        move("pending", "created")


@given(st.lists(events, max_size=12), st.randoms(use_true_random=False))
def test_final_state_and_posts_do_not_depend_on_order_or_repetition(
    arrivals: list[str], rnd: object
) -> None:
    shuffled = list(arrivals)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    repeated = shuffled + shuffled[: len(shuffled) // 2]  # redeliveries
    final, posted = settle(arrivals)
    assert settle(shuffled) == (final, posted)
    assert settle(repeated) == (final, posted)
    assert posted == (1 if "succeeded" in arrivals else 0)
    if arrivals:
        assert final in FINAL or final == "pending"
        assert final == max(arrivals, key=_rank)


def _rank(event: str) -> int:
    # The order the module documents: a success outranks every other ending.
    return ["pending", "expired", "cancelled", "failed", "succeeded"].index(event)


@given(st.lists(st.tuples(st.integers(0, 5), events), max_size=16), st.randoms())
def test_deliveries_deduplicated_by_event_id_post_at_most_once(
    deliveries: list[tuple[int, str]], rnd: object
) -> None:
    """What the webhook does: an event id seen before is dropped, the rest applied in arrival
    order. The provider gives each id one meaning; any arrival order of the same events ends
    the same."""
    meaning: dict[int, str] = {}
    for event_id, kind in deliveries:
        meaning.setdefault(event_id, kind)
    stream = [(i, meaning[i]) for i, _ in deliveries]
    rnd.shuffle(stream)  # type: ignore[attr-defined]
    seen: set[int] = set()
    applied = []
    for event_id, kind in stream:
        if event_id not in seen:
            seen.add(event_id)
            applied.append(kind)
    final, posted = settle(applied)
    assert (final, posted) == settle(sorted(meaning.values()))
    assert posted <= 1
