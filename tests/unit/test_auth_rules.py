"""Pure auth rules: the policy table, masking, session and rate-limit arithmetic, passwords."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.auth.masking import (
    PII_KEYS,
    mask_address,
    mask_contact_address,
    mask_id_number,
    mask_payload,
    mask_phone,
)
from arrears.auth.passwords import generate_password, hash_password, verify_password
from arrears.auth.policy import CASE_SCOPE, HOME, PERMISSIONS, POLICY, ROLES, can
from arrears.auth.security_policy import load_security_policy
from arrears.auth.sessions import (
    SessionRules,
    csrf_token,
    pre_session_binding,
    session_alive,
    session_binding,
    throttled,
    token_alive,
    token_digest,
)
from arrears.config import parse_networks
from arrears.kit.addresses import client_address
from arrears.kit.errors import BadInput

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_every_role_has_a_policy_scope_and_home_and_only_known_permissions() -> None:
    assert set(POLICY) == set(ROLES) == set(CASE_SCOPE) == set(HOME)
    for granted in POLICY.values():
        assert granted <= set(PERMISSIONS)
    with pytest.raises(KeyError):
        can("collector", "case.delete")


def test_agency_users_hold_no_more_than_collectors() -> None:
    assert POLICY["agency_user"] <= POLICY["collector"]
    assert CASE_SCOPE["agency_user"] == "agency"


def test_known_values_are_masked_as_the_bank_shows_them() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "+86 1**-****-5678"
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert mask_address("北京市朝阳区建国路88号院3号楼1201室") == "北京市朝阳区****"
    assert mask_contact_address("13812345678") == "138****5678"


@given(st.text(alphabet="0123456789", min_size=6, max_size=20))
def test_a_masked_phone_never_contains_the_number(number: str) -> None:
    masked = mask_phone(number)
    assert masked != number
    assert len(masked) == len(number)
    assert number not in masked


@settings(max_examples=40)
@given(st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True))
def test_a_masked_id_number_hides_the_birth_date(id_number: str) -> None:
    masked = mask_id_number(id_number)
    assert id_number[6:14] not in masked
    assert masked[-4:] == id_number[-4:]


@given(st.text(min_size=1, max_size=80).filter(lambda s: s.strip()))
def test_a_masked_address_reveals_at_most_its_first_third(address: str) -> None:
    masked = mask_address(address)
    raw = address.strip()
    assert masked.endswith("****")
    shown = masked[:-4]
    assert raw.startswith(shown)
    assert len(shown) <= min(6, len(raw) // 3)


def test_mask_payload_walks_nested_structures_by_field_name() -> None:
    payload = {
        "customer": {
            "name": "张三",
            "id_number": "110101199003071234",
            "phones": [{"id": 1, "phone": "13812345678"}],
            "address": "北京市朝阳区建国路88号",
        },
        "count": 3,
        "tags": ("a", "b"),
    }
    masked = mask_payload(payload)
    text = repr(masked)
    for raw in ("110101199003071234", "13812345678", "建国路88号"):
        assert raw not in text
    assert masked["customer"]["name"] == "张三"
    assert masked["count"] == 3
    assert payload["customer"]["phones"][0]["phone"] == "13812345678"  # input untouched
    assert {"id_number", "phone", "address"} <= PII_KEYS


def test_session_lives_while_used_and_dies_at_idle_or_absolute_limit() -> None:
    rules = SessionRules(
        idle=timedelta(minutes=30), absolute=timedelta(hours=12), touch_every=timedelta(minutes=1)
    )
    assert session_alive(
        created_at=T0, last_seen_at=T0, now=T0 + timedelta(minutes=29), rules=rules
    )
    assert not session_alive(
        created_at=T0, last_seen_at=T0, now=T0 + timedelta(minutes=30), rules=rules
    )
    late = T0 + timedelta(hours=12)
    assert not session_alive(created_at=T0, last_seen_at=late, now=late, rules=rules)


@given(
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=40),
)
def test_throttled_exactly_from_either_limit(
    by_username: int, by_address: int, per_username: int, per_address: int
) -> None:
    assert throttled(
        username_failures=by_username,
        address_failures=by_address,
        per_username=per_username,
        per_address=per_address,
    ) == (by_username >= per_username or by_address >= per_address)


def test_passwords_hash_with_argon2id_and_verify() -> None:
    password = generate_password()
    assert len(password) == 16
    hashed = hash_password(password)
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, password)
    assert not verify_password(hashed, password + "x")
    assert not verify_password("not a hash", password)
    assert token_digest("a") != token_digest("b")


def test_every_template_label_has_a_chinese_translation() -> None:
    from arrears.web.i18n import LOCALE_DIR, translations

    templates = Path(LOCALE_DIR).parent / "templates"
    labels: set[str] = set()
    for path in templates.glob("*.html"):
        labels |= set(re.findall(r"""_\(\s*["']([^"']+)["']\s*\)""", path.read_text()))
    assert len(labels) > 30
    zh = translations("zh-CN")
    missing = sorted(label for label in labels if zh.gettext(label) == label)
    assert missing == []


# --- web hardening: addresses behind proxies, CSRF binding, token lifetimes, the policy --------

_ip4 = st.builds(
    lambda parts: ".".join(str(p) for p in parts),
    st.lists(st.integers(min_value=1, max_value=254), min_size=4, max_size=4),
)


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    trusted = parse_networks("10.0.0.0/8, 192.168.1.5")
    assert client_address("203.0.113.7", "1.2.3.4", trusted) == "203.0.113.7"
    assert client_address("203.0.113.7", None, ()) == "203.0.113.7"
    assert client_address("10.1.2.3", "1.2.3.4, 203.0.113.7", trusted) == "203.0.113.7"
    # Two trusted proxies in a row: the first address neither vouches for.
    assert client_address("10.1.2.3", "203.0.113.7, 192.168.1.5", trusted) == "203.0.113.7"
    # Everyone on the chain trusted: the farthest one is as near the client as we know.
    assert client_address("10.1.2.3", "10.9.9.9", trusted) == "10.9.9.9"
    # A garbled entry stops the walk at the last trusted hop.
    assert client_address("10.1.2.3", "1.2.3.4, not-an-ip", trusted) == "10.1.2.3"
    # Ports and IPv4 seen through IPv6 are the same client.
    assert client_address("10.1.2.3", "203.0.113.7:51000", trusted) == "203.0.113.7"
    assert client_address("::ffff:203.0.113.7", "1.2.3.4", trusted) == "203.0.113.7"
    assert client_address("testclient", "1.2.3.4", trusted) == "testclient"


@given(st.lists(st.text(max_size=20) | _ip4, max_size=6), _ip4)
def test_what_the_client_writes_in_forwarded_for_never_decides_its_address(
    written: list[str], real: str
) -> None:
    # The trusted proxy appends the address it saw (outside 10/8, so not itself trusted).
    real = "203." + real.split(".", 1)[1]
    chain = ", ".join([*written, real])
    assert client_address("10.0.0.1", chain, parse_networks("10.0.0.0/8")) == real


def test_a_bad_proxy_list_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        parse_networks("10.0.0.1, proxy")
    assert parse_networks(" , ") == ()


def test_csrf_tokens_differ_per_binding_and_key_and_need_the_key() -> None:
    session_a, session_b = session_binding("cookie-a"), session_binding("cookie-b")
    token = csrf_token("key", session_a)
    assert token == csrf_token("key", session_a)
    assert token != csrf_token("key", session_b)
    assert token != csrf_token("other-key", session_a)
    assert token != csrf_token("key", pre_session_binding("cookie-a"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert "cookie-a" not in session_a  # bound to the stored digest, not the secret itself


@given(
    st.integers(min_value=0, max_value=4000),
    st.none() | st.integers(min_value=1, max_value=4000),
    st.integers(min_value=1, max_value=4000),
)
def test_a_token_lives_until_its_expiry_and_never_past_the_maximum(
    age_days: int, lifetime_days: int | None, max_days: int
) -> None:
    expires = None if lifetime_days is None else T0 + timedelta(days=lifetime_days)
    alive = token_alive(
        created_at=T0,
        expires_at=expires,
        now=T0 + timedelta(days=age_days),
        max_lifetime=timedelta(days=max_days),
    )
    assert alive == (age_days < min(max_days, lifetime_days or max_days))


def test_the_shipped_security_policy_and_its_checks(tmp_path: Path) -> None:
    policy = load_security_policy("default")
    assert policy.api_tokens.default_days <= policy.api_tokens.max_days
    assert policy.sessions.rules.idle < policy.sessions.rules.absolute
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sign_in: {window_minutes: 15, failures_per_username: 5, failures_per_address: 20}\n"
        "sessions: {idle_minutes: 30, absolute_hours: 12, touch_every_seconds: 60}\n"
        "api_tokens: {default_days: 400, max_days: 365}\n"
    )
    with pytest.raises(BadInput, match="api_tokens: .*default_days must not exceed max_days"):
        load_security_policy(str(bad))
    bad.write_text("sign_in: {window_minutes: 0}\n")
    with pytest.raises(BadInput, match="sign_in.window_minutes"):
        load_security_policy(str(bad))
    with pytest.raises(BadInput, match="no security policy named"):
        load_security_policy("nope")
