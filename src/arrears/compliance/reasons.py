"""Compliance reasons in the reader's language: one template per rule id (``reasons.yaml``).

The engine and the workflow record *what* decided (rule id and parameters, machine-readable);
this module writes it as a sentence in ``en`` or ``zh-CN`` when someone reads it: the web page
in the user's locale, the API by ``Accept-Language``, the CLI by ``--locale``. Loaded and
validated once per process. Pure: no I/O beyond reading the shipped file.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.kit import config_file
from arrears.kit.errors import ArrearsError
from arrears.vocabulary import LOCALES

REASONS_FILE = Path(__file__).parent / "reasons.yaml"
D = TypeVar("D", bound=BaseModel)
JOINERS = {"en": "; ", "zh-CN": "；"}


class Reason(BaseModel):
    """Why a rule decided: its id, the values the sentence needs, and which wording."""

    model_config = ConfigDict(frozen=True)

    rule: str
    params: dict[str, Any] = Field(default_factory=dict)
    variant: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}@{self.variant}" if self.variant else self.rule


class ListStyle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sep: str = ", "
    empty: str = ""
    wrap: str = "{items}"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalogue(BaseModel):
    """``reasons.yaml``: templates per rule id and locale, list styles, vocabulary terms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lists: dict[str, dict[str, ListStyle]] = Field(default_factory=dict)
    terms: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    templates: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _complete(self) -> Catalogue:
        for key, by_locale in self.templates.items():
            missing = [loc for loc in LOCALES if not by_locale.get(loc, "").strip()]
            if missing:
                raise ValueError(f"templates.{key}: no {' or '.join(missing)} text")
            extra = set(by_locale) - set(LOCALES)
            if extra:
                raise ValueError(f"templates.{key}: unknown locale {sorted(extra)[0]!r}")
            try:
                params = {loc: _fields(text) for loc, text in by_locale.items()}
            except ValueError as exc:
                raise ValueError(f"templates.{key}: {exc}") from None
            if len({frozenset(p) for p in params.values()}) > 1:
                raise ValueError(f"templates.{key}: the locales use different parameters")
        return self

    def template(self, reason: Reason, locale: str) -> str | None:
        """The wording for ``reason``: its own key, else the rule's parents (a.b.c -> a.b)."""
        candidates = [reason.key] if reason.variant else []
        rule = reason.rule
        while rule:
            candidates.append(rule)
            rule = rule.rpartition(".")[0]
        for key in candidates:
            found = self.templates.get(key)
            if found is not None:
                return found.get(locale) or found["en"]
        return None

    def value(self, name: str, value: Any, locale: str) -> str:
        """A parameter as the sentence shows it: vocabulary translated, lists joined."""
        terms = self.terms.get(name, {}).get(locale, {})
        if isinstance(value, list | tuple):
            style = self.lists.get(name, {}).get(locale) or ListStyle()
            items = [terms.get(str(v), str(v)) for v in value]
            if not items:
                return style.empty
            return style.wrap.format(items=style.sep.join(items))
        key = "null" if value is None else str(value)
        return terms.get(key, "" if value is None else str(value))


@lru_cache(maxsize=4)
def catalogue(path: str = str(REASONS_FILE)) -> Catalogue:
    """The shipped catalogue, validated once per process (a broken file: one ``BadInput``)."""
    file = Path(path)
    return config_file.parse(
        Catalogue, config_file.read(file, "reasons"), source=f"reasons {file.name}"
    )


def render(reason: Reason, locale: str = "en") -> str:
    """One reason as a sentence in ``locale`` (unknown locales read English)."""
    cat = catalogue()
    locale = locale if locale in LOCALES else "en"
    template = cat.template(reason, locale)
    if template is None:
        return reason.rule
    values = {
        # A refusal that wraps the rules' own reasons (a message refused): said in ``locale`` too.
        k: explain(v, locale) if _nested(v) else cat.value(k, v, locale)
        for k, v in reason.params.items()
    }
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        # A stored reason from an older wording: say which rule, never fail the page.
        return reason.rule


def _nested(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Mapping) and isinstance(v.get("rule"), str) for v in value)
    )


def explain(reasons: Iterable[Reason | Mapping[str, Any]], locale: str = "en") -> str:
    """Several reasons joined as one line, duplicates once, in ``locale``."""
    texts = [
        render(r if isinstance(r, Reason) else Reason.model_validate(r), locale) for r in reasons
    ]
    return JOINERS.get(locale, "; ").join(dict.fromkeys(texts))


def dumped(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    """Reasons as JSON-able dicts (stored beside a decision so it can be read in any locale)."""
    return [r.model_dump(mode="json", exclude_none=True) for r in reasons]


def localized(stored: Sequence[Mapping[str, Any]] | None, fallback: str, locale: str) -> str:
    """A stored decision's reason in ``locale``; rows stored before reasons had ids keep their
    text."""
    return explain(stored, locale) if stored else fallback


def in_locale(decision: D, locale: str) -> D:
    """A decision whose ``reason`` reads in ``locale`` (its ``reasons`` keep the rule ids)."""
    reasons = getattr(decision, "reasons", None)
    if not reasons:
        return decision
    return decision.model_copy(update={"reason": explain(reasons, locale)})


E = TypeVar("E", bound=ArrearsError)


def refusal(kind: type[E], reason: Reason) -> E:
    """An error whose message is ``reason`` in English and whose detail carries the rule id and
    parameters, so each reader's page or API answer can say it in their language."""
    return kind(render(reason), detail=reason.model_dump(mode="json", exclude_none=True))


def message_in(exc: ArrearsError, locale: str) -> str:
    """An error's message in ``locale`` when it carries a reason (``refusal``), else as it is."""
    detail = exc.detail
    if (
        isinstance(detail, list)
        and detail
        and all(isinstance(d, dict) and "rule" in d and "params" in d for d in detail)
    ):
        # Content findings (a script or message refused): their reasons, in the reader's words.
        return explain(detail, locale)
    if isinstance(detail, dict) and isinstance(detail.get("rule"), str) and "params" in detail:
        try:
            reason = Reason.model_validate(
                {k: detail[k] for k in ("rule", "params", "variant") if k in detail}
            )
        except ValueError:
            return exc.message
        return render(reason, locale)
    return exc.message
