"""Scripts and letters: Jinja2 files in ``contacts/scripts/<locale>/``, rendered with real data.

By level (junior credit education, intermediate negotiation, advanced formal notice) and by
situation (first call, broken promise, hardship, dispute, the three stops), in English and
Simplified Chinese.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    pass_context,
)
from jinja2.runtime import Context

from arrears.kit import wording
from arrears.kit.errors import BadInput
from arrears.vocabulary import LOCALES

LEVEL_SCRIPTS = {
    "junior": "credit_education",
    "intermediate": "negotiation",
    "advanced": "formal_notice",
    "legal": "formal_notice",
}
SITUATIONS = (
    "first_call",
    "broken_promise",
    "hardship",
    "dispute",
    "stop_1",
    "stop_2",
    "stop_3",
    "contact_person_callback",
)
LETTERS = ("formal_notice",)
SCRIPTS = (
    *dict.fromkeys(LEVEL_SCRIPTS.values()),
    *SITUATIONS,
    "courtesy_spring_festival",
    "courtesy_mid_autumn",
)


@pass_context
def _money(context: Context, value: object) -> str:
    """``{{ total_due|money }}``: grouped, at the currency's precision, in the script's locale
    (Babel); an absent amount (no promise yet) stays blank."""
    if value is None or value == "":
        return ""
    return wording.amount(str(value), context.get("currency", "CNY"), context["locale"])


@pass_context
def _count(context: Context, value: int, one: str, other: str) -> str:
    """``{{ dpd|count('day', 'days') }}``: the number and the word, by the language's plural
    rule ("1 day", "35 days")."""
    return wording.count_of(int(value), one, other, context["locale"])


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Plain text, not HTML: the web layer escapes when it shows a script.
    env = Environment(
        loader=PackageLoader("arrears.contacts", "scripts"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["money"] = _money
    env.filters["count"] = _count
    return env


def render(name: str, *, locale: str, context: dict[str, Any]) -> str:
    """Render script ``name`` in ``locale``; a missing value is an error, never a blank."""
    check_locale(locale)
    try:
        template = _env().get_template(f"{locale}/{name}.j2")
    except TemplateNotFound as exc:
        raise BadInput(f"no script named {name!r}; known: {', '.join(SCRIPTS)}") from exc
    try:
        return template.render({**context, "locale": locale}).strip()
    except UndefinedError as exc:
        raise BadInput(f"script {name} ({locale}) needs a value: {exc.message}") from exc


def check_locale(locale: str) -> str:
    """A language the scripts are written in (``BadInput`` otherwise, before any formatting)."""
    if locale not in LOCALES:
        raise BadInput(f"locale must be one of: {', '.join(LOCALES)} (got {locale!r})")
    return locale


def script_for_level(level: str) -> str:
    return LEVEL_SCRIPTS.get(level, "first_call")
