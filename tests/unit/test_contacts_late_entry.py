"""Late entries: the time a collector says a contact was made, taken only inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.contacts.late_entry import LateEntryPolicy, checked_made_at, load_late_entry_policy
from arrears.kit.errors import BadInput, RuleRefused

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_the_shipped_window_is_a_day() -> None:
    assert load_late_entry_policy().window_hours == 24


@given(
    hours=st.integers(min_value=0, max_value=72),
    seconds=st.integers(min_value=-3 * 86400, max_value=3 * 86400),
)
def test_taken_exactly_inside_the_window(hours: int, seconds: int) -> None:
    policy = LateEntryPolicy(window_hours=hours)
    made_at = NOW - timedelta(seconds=seconds)
    if seconds < 0:
        with pytest.raises(BadInput, match="after now"):
            checked_made_at(made_at, now=NOW, policy=policy)
    elif seconds > hours * 3600:
        with pytest.raises(RuleRefused, match=f"up to {hours} h"):
            checked_made_at(made_at, now=NOW, policy=policy)
    else:
        assert checked_made_at(made_at, now=NOW, policy=policy) == made_at


def test_a_time_without_offset_is_malformed() -> None:
    with pytest.raises(BadInput, match="UTC offset"):
        checked_made_at(datetime(2026, 3, 2, 1), now=NOW, policy=LateEntryPolicy())
