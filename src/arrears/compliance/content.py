"""Content checks on outgoing messages, letters, notes and scripts, in English and Chinese.

Usable on their own: the workflow runs notes and scripts through ``check_content`` and the
engine runs every proposed message through it.
"""

from __future__ import annotations

from arrears.compliance.profile import Phrases, Profile
from arrears.compliance.schemas import Channel, Finding

Audience = str  # "debtor" (anyone the debt may be discussed with) or "third_party"

_MESSAGES = {
    "threat": "threatens the person",
    "insult": "insults the person",
    "false_legal": "makes a false legal claim",
    "pressure": "pressures the person to pay",
    "public_embarrassment": "threatens public embarrassment",
}


def _scan(
    text: str, *, profile: Profile, key: str, phrases: Phrases, rule: str, category: str, what: str
) -> list[Finding]:
    pattern = profile.pattern(key, phrases)
    if pattern is None:
        return []
    seen: dict[str, Finding] = {}
    for match in pattern.finditer(text):
        phrase = match.group(0)
        if phrase.lower() not in seen:
            seen[phrase.lower()] = Finding(
                rule=rule, category=category, phrase=phrase, message=f"{what}: {phrase!r}"
            )
    return list(seen.values())


def check_content(
    text: str,
    *,
    profile: Profile,
    audience: Audience = "debtor",
    vulnerable: bool = False,
    time_barred: bool = False,
) -> list[Finding]:
    """Every prohibited phrase in ``text`` for this audience; an empty list means clean."""
    if not text:
        return []
    findings: list[Finding] = []
    for category, phrases in profile.content.prohibited.items():
        what = _MESSAGES.get(category, f"prohibited ({category})")
        findings += _scan(
            text,
            profile=profile,
            key=f"prohibited.{category}",
            phrases=phrases,
            rule="content.prohibited",
            category=category,
            what=what,
        )
    if audience == "third_party":
        findings += _scan(
            text,
            profile=profile,
            key="third_party_disclosure",
            phrases=profile.content.third_party_disclosure,
            rule="third_party.disclosure",
            category="debt_disclosure",
            what="discloses the debt to a third party",
        )
    if vulnerable and profile.vulnerable.enabled:
        findings += _scan(
            text,
            profile=profile,
            key="vulnerable.pressure",
            phrases=profile.vulnerable.pressure,
            rule="vulnerable.pressure",
            category="pressure",
            what="pressures a vulnerable customer",
        )
    if time_barred:
        findings += _scan(
            text,
            profile=profile,
            key="time_barred_threats",
            phrases=profile.content.time_barred_threats,
            rule="time_barred.threat",
            category="false_legal",
            what="threatens legal action on a time-barred debt",
        )
    return findings


def check_fields(channel: Channel, fields: dict[str, str], *, profile: Profile) -> list[Finding]:
    """Required fields this profile wants on a message or letter of ``channel``."""
    return [
        Finding(
            rule="content.required_field",
            category="required_field",
            phrase=name,
            message=f"a {channel} must carry {name!r}",
        )
        for name in profile.content.required_fields.get(channel, [])
        if not str(fields.get(name, "")).strip()
    ]
