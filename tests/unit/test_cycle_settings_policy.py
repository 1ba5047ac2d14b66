"""Who may abandon a cycle run, and heartbeat settings that cannot take a live run for dead."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from arrears.auth.policy import ROLES, can
from arrears.config import Settings


@pytest.mark.parametrize("role", ROLES)
def test_only_team_leads_and_admins_may_abandon_a_run(role: str) -> None:
    assert can(role, "cycle.abandon") is (role in {"team_lead", "admin"})


def test_the_defaults_beat_every_15_s_and_call_a_run_dead_after_2_min() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.cycle_heartbeat_seconds, defaults.cycle_stale_after_seconds) == (15, 120)


@given(
    every=st.floats(min_value=0.01, max_value=600, allow_nan=False),
    ratio=st.floats(min_value=0.01, max_value=10, allow_nan=False),
)
def test_staleness_must_span_at_least_three_heartbeats(every: float, ratio: float) -> None:
    stale = every * ratio
    if stale >= 3 * every:
        built = Settings(  # type: ignore[call-arg]
            _env_file=None, cycle_heartbeat_seconds=every, cycle_stale_after_seconds=stale
        )
        assert built.cycle_stale_after_seconds >= 3 * built.cycle_heartbeat_seconds
    else:
        with pytest.raises(ValidationError, match="at least three heartbeats"):
            Settings(  # type: ignore[call-arg]
                _env_file=None, cycle_heartbeat_seconds=every, cycle_stale_after_seconds=stale
            )


@pytest.mark.parametrize("field", ["cycle_heartbeat_seconds", "cycle_stale_after_seconds"])
def test_zero_or_negative_intervals_are_refused(field: str) -> None:
    for bad in (0, -1):
        with pytest.raises(ValidationError, match=field):
            Settings(_env_file=None, **{field: bad})  # type: ignore[arg-type]
