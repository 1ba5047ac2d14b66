"""Jurisdiction profiles: every rule parameter as YAML data, validated by pydantic.

A bank copies a shipped profile (or writes ``extends: us-reg-f`` and only the values it changes),
then points ``ARREARS_JURISDICTION`` at it. No rule parameter lives in Python code.
"""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from arrears.compliance.content_rules import CORE_CATEGORIES, content_rules, normalised
from arrears.compliance.schemas import HOLD_FLAGS, Channel, Outcome, Purpose, Role
from arrears.kit.errors import BadInput, NotFound
from arrears.kit.textfile import read_utf8

PROFILE_DIR = Path(__file__).parent / "profiles"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phrases(_Section):
    """The same list in English and Chinese; matched on the normalised text (English on word
    edges)."""

    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class Frequency(_Section):
    """Reg F §1006.14(b): call cap per person per debt per collector, and the cool-down."""

    enabled: bool = True
    max_calls: int = Field(default=7, ge=1)
    window_days: int = Field(default=7, ge=1)
    cooldown_days: int = Field(default=7, ge=0, description="conversation day is day 1")
    channels: list[Channel] = ["call"]
    roles: list[Role] = ["debtor", "guarantor", "spouse"]
    counted_outcomes: list[Outcome] = [
        "no_answer",
        "voicemail",
        "limited_content_message",
        "dropped",
        "conversation",
        "third_party_conversation",
    ]
    conversation_outcomes: list[Outcome] = ["conversation"]
    per_collector: bool = True
    consent_excludes: bool = True
    consent_max_age_days: int = Field(default=7, ge=0)
    consent_slack_minutes: int = Field(default=60, ge=0)
    review_gap_minutes: int = Field(
        default=10, ge=0, description="flag two counted calls closer than this for review"
    )


class Hours(_Section):
    start: time
    end: time

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class TimeWindow(_Section):
    """Convenient hours at the person's location; with several possible zones, all must agree."""

    enabled: bool = True
    start: time = time(8, 0)
    end: time = time(21, 0)
    channels: list[Channel] = ["call", "sms", "email", "visit"]
    days: dict[Weekday, Hours | None] = Field(
        default_factory=dict, description="per-weekday hours; null means no contact that day"
    )
    consent_overrides: bool = False

    @model_validator(mode="after")
    def _order(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def hours_for(self, weekday: int) -> tuple[time, time] | None:
        name = WEEKDAYS[weekday]
        if name in self.days:
            hours = self.days[name]
            return None if hours is None else (hours.start, hours.end)
        return (self.start, self.end)


class DailyCap(_Section):
    enabled: bool = False
    max_contacts: int = Field(default=3, ge=1)
    channels: list[Channel] = ["call"]
    counted_outcomes: list[Outcome] | None = Field(
        default=None, description="null counts every attempt, connected or not"
    )
    per_collector: bool = False
    roles: list[Role] | None = Field(default=None, description="null: everyone")


class Hold(_Section):
    """What is still allowed while a hold flag is on the person."""

    allowed_roles: list[Role] = Field(default_factory=list)
    allowed_purposes: list[Purpose] = Field(default_factory=list)
    allowed_channels: list[Channel] | None = Field(
        default=None, description="channels for the allowed purposes; null: any"
    )


class ThirdParty(_Section):
    debt_parties: list[Role] = Field(
        default=["debtor", "guarantor", "spouse", "attorney"],
        description="roles the debt may be discussed with",
    )
    allowed_purposes: list[Purpose] = ["location"]
    once_per_party: bool = True
    once_outcomes: list[Outcome] = ["conversation", "third_party_conversation"]


class Vulnerable(_Section):
    enabled: bool = False
    max_contacts_per_day: int | None = Field(default=1, ge=1)
    counted_channels: list[Channel] = ["call", "sms", "email", "visit"]
    blocked_channels: list[Channel] = ["visit"]
    pressure: Phrases = Field(default_factory=Phrases)


class Content(_Section):
    required_fields: dict[Channel, list[str]] = Field(default_factory=dict)
    categories: list[str] = Field(
        default_factory=lambda: list(CORE_CATEGORIES),
        description="abuse categories checked (patterns in compliance/content_rules.yaml)",
    )
    prohibited: dict[str, Phrases] = Field(
        default_factory=dict, description="category -> extra fixed phrases this profile forbids"
    )

    @model_validator(mode="after")
    def _known(self) -> Content:
        known = content_rules().categories
        for name in [*self.categories, *self.prohibited]:
            if name not in known:
                raise ValueError(
                    f"content: unknown category {name!r}; known: {', '.join(sorted(known))}"
                )
        return self

    third_party_disclosure: Phrases = Field(default_factory=Phrases)
    time_barred_threats: Phrases = Field(default_factory=Phrases)


class Profile(_Section):
    """One jurisdiction's rule parameters."""

    name: str
    title: str = ""
    extends: str | None = None
    citations: dict[str, str] = Field(default_factory=dict)
    fallback_time_zones: list[str] = Field(
        default_factory=list, description="possible zones when neither phones nor address tell"
    )
    frequency: Frequency = Field(default_factory=lambda: Frequency(enabled=False))
    time_window: TimeWindow = Field(default_factory=TimeWindow)
    daily_cap: DailyCap = Field(default_factory=DailyCap)
    holds: dict[str, Hold] = Field(default_factory=dict)
    employer_forbids: bool = True
    opt_out: bool = True
    third_party: ThirdParty = Field(default_factory=ThirdParty)
    vulnerable: Vulnerable = Field(default_factory=Vulnerable)
    content: Content = Field(default_factory=Content)

    _compiled: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _zones(self) -> Profile:
        from arrears.compliance.zones import known_zone

        for zone in self.fallback_time_zones:
            if not known_zone(zone):
                raise ValueError(f"fallback_time_zones: unknown time zone {zone!r}")
        unknown = set(self.holds) - set(HOLD_FLAGS)
        if unknown:
            raise ValueError(f"holds: unknown hold {sorted(unknown)[0]!r}")
        return self

    def pattern(self, key: str, phrases: Phrases) -> re.Pattern[str] | None:
        """One compiled regex per phrase list, built once per profile instance."""
        # Read the private dict directly: pydantic's __getattr__ for private attributes is slow,
        # and this runs for every proposed message.
        compiled: dict[str, re.Pattern[str] | None] = self.__pydantic_private__["_compiled"]  # type: ignore[index]
        if key not in compiled:
            # Phrases are normalised like the text they are matched against.
            en = [normalised(p) for p in phrases.en if p.strip()]
            zh = [normalised(p) for p in phrases.zh if p.strip()]
            parts = [rf"(?<!\w){re.escape(p)}(?!\w)" for p in en] + [re.escape(p) for p in zh]
            compiled[key] = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        return compiled[key]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(read_utf8(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path}:{where} not valid YAML: {exc}") from exc
    except OSError as exc:
        raise NotFound(f"cannot read profile {path}: {exc.strerror}") from exc
    if not isinstance(raw, dict):
        raise BadInput(f"{path}: a profile is a mapping of settings")
    return raw


def _resolve_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate
    shipped = PROFILE_DIR / f"{name_or_path}.yaml"
    if not shipped.exists():
        raise NotFound(
            f"no compliance profile {name_or_path!r}; shipped: {', '.join(profile_names())}"
        )
    return shipped


def _raw_profile(name_or_path: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = _resolve_path(name_or_path)
    raw = _read_yaml(path)
    parent = raw.get("extends")
    if parent:
        if parent in seen:
            raise BadInput(f"{path}: extends: circular ({' -> '.join((*seen, parent))})")
        raw = _deep_merge(_raw_profile(str(parent), (*seen, name_or_path)), raw)
        raw["extends"] = parent
    return raw


def format_location(loc: tuple[int | str, ...]) -> str:
    """``('person', 'phones', 0, 'number')`` -> ``person.phones[0].number``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def first_error(exc: ValidationError) -> str:
    """The first validation error as ``field.path: message``."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    message = str(err["msg"]).removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    tail = f" (and {more} more)" if more else ""
    where = f"{format_location(loc)}: " if loc else ""
    return f"{where}{message}{tail}"


@lru_cache(maxsize=32)
def load_profile(name_or_path: str) -> Profile:
    """A validated profile by shipped name (``us-reg-f``) or YAML path; parsed once per process."""
    raw = _raw_profile(name_or_path)
    try:
        return Profile.model_validate(raw)
    except ValidationError as exc:
        line = _line_of(_resolve_path(name_or_path), exc.errors()[0]["loc"])
        where = f" (line {line})" if line else ""
        raise BadInput(f"profile {name_or_path}{where}: {first_error(exc)}") from exc


def _line_of(path: Path, loc: tuple[int | str, ...]) -> int | None:
    """The YAML line of the deepest key of ``loc`` that this file itself sets."""
    try:
        node: yaml.Node | None = yaml.compose(read_utf8(path))
    except (OSError, yaml.YAMLError, BadInput):
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            key = next((k for k, _ in node.value if k.value == part), None)
            if key is None:
                break
            line, node = key.start_mark.line + 1, match
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def profile_names() -> list[str]:
    """The profiles shipped with the package."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
