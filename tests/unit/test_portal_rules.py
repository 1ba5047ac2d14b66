"""The portal's access rules, pure: link states at their edges, the facts compared, throttling,
the policy file, and every portal label translated."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.kit.errors import BadInput
from arrears.portal import access
from arrears.portal.policy import POLICIES, load_policy
from arrears.portal.service import parse_facts
from arrears.web.i18n import translations

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(hours=72)
FACTS = ("birth_date", "id_last4")
ON_FILE = access.OnFile(date(1985, 3, 2), "11010119850301001X")


def _link(
    *, used_at: datetime | None = None, locked: bool = False, failed_attempts: int = 0
) -> access.LinkFacts:
    return access.LinkFacts(EXPIRES, used_at, locked, failed_attempts)


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_a_link_is_open_until_the_instant_it_expires(seconds: int) -> None:
    now = EXPIRES + timedelta(seconds=seconds)
    state = access.link_state(_link(), now=now, failures_per_link=5)
    assert state == ("open" if seconds < 0 else "expired")


@given(st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=10))
def test_a_link_locks_at_the_policy_count(failures: int, limit: int) -> None:
    state = access.link_state(_link(failed_attempts=failures), now=T0, failures_per_link=limit)
    assert state == ("locked" if failures >= limit else "open")


def test_used_wins_over_expired_and_locked() -> None:
    used = _link(used_at=T0, locked=True, failed_attempts=9)
    assert access.link_state(used, now=EXPIRES + timedelta(days=1), failures_per_link=5) == "used"
    assert access.link_state(_link(locked=True), now=T0, failures_per_link=5) == "locked"
    # Locked wins over expired: the customer is told the truth about why.
    late = EXPIRES + timedelta(days=1)
    assert access.link_state(_link(locked=True), now=late, failures_per_link=5) == "locked"


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=1, max_value=50))
def test_an_address_is_throttled_at_its_limit(failures: int, limit: int) -> None:
    assert access.address_throttled(failures=failures, per_address=limit) == (failures >= limit)


def test_facts_match_only_when_every_required_fact_matches() -> None:
    right = {"birth_date": date(1985, 3, 2), "id_last4": "001X"}
    assert access.facts_match(FACTS, right, ON_FILE)
    assert access.facts_match(FACTS, {**right, "id_last4": "001x"}, ON_FILE)
    assert access.facts_match(FACTS, {**right, "id_last4": "００１Ｘ"}, ON_FILE)  # full width
    assert not access.facts_match(FACTS, {**right, "birth_date": date(1985, 3, 3)}, ON_FILE)
    assert not access.facts_match(FACTS, {**right, "id_last4": "0010"}, ON_FILE)
    assert not access.facts_match(FACTS, {"birth_date": date(1985, 3, 2)}, ON_FILE)
    # A profile asking only for the birth date ignores the ID.
    assert access.facts_match(("birth_date",), {"birth_date": date(1985, 3, 2)}, ON_FILE)


@given(st.dates(), st.text(max_size=6))
def test_a_fact_missing_on_file_never_matches(typed_date: date, typed_tail: str) -> None:
    typed = {"birth_date": typed_date, "id_last4": typed_tail}
    assert not access.facts_match(FACTS, typed, access.OnFile(None, "11010119850301001X"))
    assert not access.facts_match(FACTS, typed, access.OnFile(typed_date, None))
    assert not access.facts_match(FACTS, typed, access.OnFile(typed_date, "12"))


def test_missing_facts_name_what_the_store_lacks() -> None:
    assert access.missing_facts(FACTS, ON_FILE) == []
    assert access.missing_facts(FACTS, access.OnFile(None, None)) == ["birth_date", "id_last4"]
    assert access.missing_facts(("birth_date",), access.OnFile(None, "X")) == ["birth_date"]


def test_malformed_facts_are_one_clear_error() -> None:
    assert parse_facts(FACTS, {"birth_date": "1985-03-02", "id_last4": " 001x "}) == {
        "birth_date": date(1985, 3, 2),
        "id_last4": "001X",
    }
    with pytest.raises(BadInput, match="birth_date"):
        parse_facts(FACTS, {"birth_date": "02/03/1985", "id_last4": "001X"})
    with pytest.raises(BadInput, match="id_last4"):
        parse_facts(FACTS, {"birth_date": "1985-03-02", "id_last4": "01"})
    with pytest.raises(BadInput, match="id_last4"):
        parse_facts(FACTS, {"birth_date": "1985-03-02", "id_last4": "0-1X"})


def test_the_shipped_policy_and_its_lifetimes() -> None:
    policy = load_policy("default")
    assert policy.link_hours.lifetime("sms") == timedelta(hours=72)
    assert policy.link_hours.lifetime("email") == timedelta(hours=72)
    assert policy.link_hours.lifetime("letter") == timedelta(days=30)
    assert policy.verification == ("birth_date", "id_last4")
    assert policy.failures_per_link == 5
    assert policy.session.rules.idle == timedelta(minutes=10)
    assert policy.session.rules.absolute == timedelta(minutes=30)


def test_a_bad_policy_file_names_its_field(tmp_path: Path) -> None:
    good = (POLICIES / "default.yaml").read_text(encoding="utf-8")
    cases = {
        "unknown fact": good.replace("- id_last4", "- mothers_maiden_name"),
        "idle over absolute": good.replace("idle_minutes: 10", "idle_minutes: 45"),
        "zero hours": good.replace("sms: 72", "sms: 0"),
    }
    for what, text in cases.items():
        path = tmp_path / f"{what.replace(' ', '_')}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BadInput, match="portal policy"):
            load_policy(str(path))


def test_every_portal_label_is_translated() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "arrears" / "portal" / "templates"
    labels: set[str] = set()
    for path in templates.glob("*.html"):
        labels |= set(re.findall(r"""_\(\s*["']([^"']+)["']\s*\)""", path.read_text()))
    assert len(labels) > 30
    zh = translations("zh-CN")
    assert sorted(label for label in labels if zh.gettext(label) == label) == []
