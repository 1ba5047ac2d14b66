"""The bank's letterhead and the fields a collection letter carries (the compliance profile says
which are required: the cn-card profile asks for the seal, the legal basis, a dispute channel;
uk-conc for free debt advice). The printed letters (PDF) are ``notice`` (what they say) and
``pdf`` (how they look).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from arrears.kit import wording


@lru_cache(maxsize=4)
def _letterheads() -> dict[str, dict[str, str]]:
    text = (resources.files("arrears.contacts") / "policies" / "letterhead.yaml").read_text(
        encoding="utf-8"
    )
    data = yaml.safe_load(text)
    return {k: {f: str(v) for f, v in fields.items()} for k, fields in data.items()}


def letterhead(locale: str) -> dict[str, str]:
    return _letterheads().get(locale) or _letterheads()["en"]


def bank_name(locale: str) -> str:
    return letterhead(locale)["bank_name"]


def _amount(context: dict[str, Any]) -> str:
    """What is owed as the letter prints it: ``5,210.40 CNY``."""
    total, currency = context.get("total_due", ""), str(context.get("currency", "CNY"))
    if total in ("", None):
        return ""
    return f"{wording.amount(total, currency)} {currency}"


def letter_fields(context: dict[str, Any]) -> dict[str, str]:
    """The fields a letter carries, named as the compliance profile's required fields."""
    return {
        "name": str(context.get("customer_name", "")),
        "amount": _amount(context),
        "reason_legal_basis": str(context.get("legal_basis_en", "")),
        "rights_obligations": str(
            context.get("rights_obligations") or letterhead("en")["rights_obligations"]
        ),
        "dispute_channel": str(context.get("bank_phone", "")),
        "bank_contact": f"{context.get('bank_phone', '')} {context.get('bank_address', '')}",
        "seal": str(context.get("bank_seal", "")),
        # Without it every uk-conc letter failed its required fields (CONC 7.3.7AR).
        "debt_advice": str(context.get("debt_advice") or letterhead("en")["debt_advice"]),
    }
