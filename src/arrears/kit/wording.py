"""Numbers and words as people read them, through Babel: amounts grouped at the currency's
precision, plurals by the language's own rules, language tags Babel knows (BCP-47).

Scripts, messages and explanations in both languages format through here, so "1 cycles late"
and "5000 CNY" cannot creep back in one place and not another.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_percent

from arrears.kit.money import round_money, to_decimal


@lru_cache(maxsize=16)
def _babel(locale: str) -> Locale:
    return Locale.parse(locale, sep="-")


def amount(value: Decimal | int | str, currency: str = "CNY", locale: str = "en") -> str:
    """``5000`` -> ``'5,000.00'``: grouped, at the currency's minor unit (half-even), no sign
    or code (the text says the currency where it reads naturally)."""
    rounded = round_money(to_decimal(value), currency)
    return format_currency(
        rounded, currency, format="#,##0.00", locale=_babel(locale), currency_digits=True
    )


def percent(rate: Decimal, locale: str = "en") -> str:
    """``Decimal('0.0005')`` -> ``'0.05%'`` (up to three decimals, none when whole)."""
    return format_percent(rate, format="#,##0.###%", locale=_babel(locale))


def plural(count: int, one: str, other: str, locale: str = "en") -> str:
    """``one`` or ``other`` by the language's plural rule (Chinese has one form: ``other``)."""
    return one if _babel(locale).plural_form(abs(count)) == "one" else other


def count_of(count: int, one: str, other: str, locale: str = "en") -> str:
    """``1 cycle``, ``2 cycles``: the number and the word in its plural form."""
    return f"{count} {plural(count, one, other, locale)}"


def language_tag(text: str) -> str:
    """A BCP-47 language tag Babel knows (``zh-CN``, ``en``, ``yue``, ``zh-Hant-TW``), with the
    usual case per subtag; ``ValueError`` naming the tag otherwise (``klingon!!``, ``tlh``)."""
    tag = text.strip()
    try:
        _babel(tag)
    except (ValueError, UnknownLocaleError):
        raise ValueError(
            f"not a language tag Babel knows: {text!r} (BCP-47, e.g. zh-CN, en, yue)"
        ) from None
    parts = tag.split("-")
    return "-".join(
        [parts[0].lower()]
        + [p.title() if len(p) == 4 else p.upper() if len(p) in (2, 3) else p for p in parts[1:]]
    )
