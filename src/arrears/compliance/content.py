"""Content checks on outgoing messages, letters, notes and scripts, in English and Chinese.

Usable on their own: the workflow runs notes and scripts through ``check_content`` and the
engine runs every proposed message through it. The text is normalised first (full-width forms,
traditional characters, spaces inside words; ``normalise.py``), then scanned by the categories
the profile enables (patterns in ``content_rules.yaml``), then by the profile's phrase lists
(third-party disclosure, pressure on a vulnerable customer, suing on a time-barred debt).
"""

from __future__ import annotations

from arrears.compliance.content_rules import compiled, normalised, sentence_around
from arrears.compliance.profile import Phrases, Profile
from arrears.compliance.reasons import Reason, render
from arrears.compliance.schemas import Channel, Finding

Audience = str  # "debtor" (anyone the debt may be discussed with) or "third_party"


def _finding(rule: str, category: str, phrase: str) -> Finding:
    params = {"phrase": phrase}
    return Finding(
        rule=rule,
        category=category,
        phrase=phrase,
        message=render(Reason(rule=rule, params=params)),
        params=params,
    )


def _scan_phrases(
    text: str, *, profile: Profile, key: str, phrases: Phrases, rule: str, category: str
) -> list[Finding]:
    pattern = profile.pattern(key, phrases)
    if pattern is None:
        return []
    seen: dict[str, Finding] = {}
    for match in pattern.finditer(text):
        phrase = match.group(0)
        seen.setdefault(phrase, _finding(rule, category, phrase))
    return list(seen.values())


def _scan_categories(text: str, profile: Profile) -> list[Finding]:
    rules = compiled()
    found: dict[tuple[str, str], Finding] = {}
    for name in profile.content.categories:
        category = rules[name]
        if category.pattern is None:
            continue
        for match in category.pattern.finditer(text):
            if category.unless is not None and category.unless.search(
                sentence_around(text, match.start(), match.end())
            ):
                continue
            phrase = match.group(0).strip()
            found.setdefault((name, phrase), _finding(category.rule, name, phrase))
    return list(found.values())


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
    plain = normalised(text)
    findings = _scan_categories(plain, profile)
    rules = compiled()
    for name, phrases in profile.content.prohibited.items():
        findings += _scan_phrases(
            plain,
            profile=profile,
            key=f"prohibited.{name}",
            phrases=phrases,
            rule=rules[name].rule,
            category=name,
        )
    if audience == "third_party":
        findings += _scan_phrases(
            plain,
            profile=profile,
            key="third_party_disclosure",
            phrases=profile.content.third_party_disclosure,
            rule="third_party.disclosure",
            category="debt_disclosure",
        )
    if vulnerable and profile.vulnerable.enabled:
        findings += _scan_phrases(
            plain,
            profile=profile,
            key="vulnerable.pressure",
            phrases=profile.vulnerable.pressure,
            rule="vulnerable.pressure",
            category="pressure",
        )
    if time_barred:
        findings += _scan_phrases(
            plain,
            profile=profile,
            key="time_barred_threats",
            phrases=profile.content.time_barred_threats,
            rule="time_barred.threat",
            category="false_legal",
        )
    return list({(f.rule, f.phrase): f for f in findings}.values())


def blocked_categories(text: str, *, profile: Profile) -> set[str]:
    """The abuse categories ``text`` falls in (for the corpus benchmark and tests)."""
    return {f.category for f in check_content(text, profile=profile)}


def check_fields(channel: Channel, fields: dict[str, str], *, profile: Profile) -> list[Finding]:
    """Required fields this profile wants on a message or letter of ``channel``."""
    return [
        Finding(
            rule="content.required_field",
            category="required_field",
            phrase=name,
            message=f"a {channel} must carry {name!r}",
            params={"channel": channel, "field": name},
        )
        for name in profile.content.required_fields.get(channel, [])
        if not str(fields.get(name, "")).strip()
    ]
