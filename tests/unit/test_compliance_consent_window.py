"""A consent with a window (a call back between two times the customer chose): inside the
window it counts as prior consent, a minute outside it does not (no slack around a window)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from arrears.compliance.schemas import Consent
from tests.unit.compliance_helpers import call, ny, proposal, run


def window(start: tuple[int, int], end: tuple[int, int]) -> Consent:
    return Consent(
        given_at=ny(6, 10),
        person="P1",
        debts=["A"],
        for_at=ny(6, *start),
        until=ny(6, *end),
        collector="bank",
    )


def test_a_window_lifts_the_calling_hours_inside_it_only() -> None:
    """Reg F: consent lifts the inconvenient-time rule (1692c(a)); 21:00-22:30 is the window."""
    late = window((21, 0), (22, 30))
    assert not run(proposal(ny(6, 21, 30))).allowed  # no consent: 21:30 is too late
    assert run(proposal(ny(6, 21, 30)), consents=[late]).allowed
    assert run(proposal(ny(6, 22, 30)), consents=[late]).allowed  # its last minute
    # A point consent has an hour's slack; a window has none.
    assert not run(proposal(ny(6, 22, 45)), consents=[late]).allowed


def test_a_window_excludes_its_call_from_the_cap_until_the_conversation() -> None:
    talked = [call(ny(6, 9), "conversation")]  # day 1 of the cool-down
    evening = window((18, 0), (19, 0))
    assert not run(proposal(ny(6, 18, 30)), history=talked).allowed
    assert run(proposal(ny(6, 18, 30)), history=talked, consents=[evening]).allowed
    # The consented conversation happened at 18:10: the consent has lapsed.
    used = [*talked, call(ny(6, 18, 10), "conversation")]
    assert not run(proposal(ny(6, 18, 30)), history=used, consents=[evening]).allowed


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="until"):
        window((19, 0), (18, 0))
    with pytest.raises(ValidationError, match="until"):
        Consent(given_at=ny(6, 10), person="P1", until=ny(6, 19))
