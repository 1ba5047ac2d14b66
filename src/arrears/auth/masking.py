"""Masking of personal data: ID numbers, phone numbers and addresses.

Pure. One serialisation layer (``mask_payload``) walks whatever the app is about to send, JSON or
template context, and masks every field whose name says it holds personal data. Names, not
guesses: a field is personal if its key is in ``PII_KEYS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MASK = "*"


def mask_id_number(value: str) -> str:
    """Keep the region prefix (3) and the last 4; hide the birth date and sequence."""
    raw = value.strip()
    if len(raw) <= 4:
        return MASK * len(raw)
    keep_head = 3 if len(raw) >= 10 else 1
    return raw[:keep_head] + MASK * (len(raw) - keep_head - 4) + raw[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``; short numbers keep only their last two digits."""
    raw = value.strip()
    digits = [i for i, ch in enumerate(raw) if ch.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) >= 8 else set(digits[:-2])
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(raw))


def mask_address(value: str) -> str:
    """Keep at most the first 6 characters (province/city level), hide the rest."""
    raw = value.strip()
    if not raw:
        return raw
    keep = min(6, len(raw) // 3)
    return raw[:keep] + MASK * 4


def mask_contact_address(value: str) -> str:
    """A phone number or a postal/e-mail address, whichever ``value`` looks like."""
    digits = sum(ch.isdigit() for ch in value)
    return mask_phone(value) if digits >= max(6, len(value.strip()) // 2) else mask_address(value)


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "phone_number": mask_phone,
    "mobile": mask_phone,
    "contact_phone": mask_phone,
    "address": mask_address,
    "home_address": mask_address,
    "work_address": mask_address,
    "address_used": mask_contact_address,
    "sent_to": mask_contact_address,
}
PII_KEYS = frozenset(MASKERS)


def mask_value(key: str, value: Any) -> Any:
    """Mask ``value`` if ``key`` names personal data and the value is a non-empty string."""
    masker = MASKERS.get(key)
    if masker is None or not isinstance(value, str) or not value:
        return value
    return masker(value)


def mask_payload(payload: Any) -> Any:
    """A copy of ``payload`` (dicts, lists, tuples, scalars) with every PII field masked."""
    if isinstance(payload, dict):
        return {
            k: (mask_value(k, v) if k in PII_KEYS and isinstance(v, str) else mask_payload(v))
            for k, v in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [mask_payload(v) for v in payload]
    return payload
