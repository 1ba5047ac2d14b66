"""The content checker's rules as data (``content_rules.yaml``), validated and compiled once.

Each category (violence, arrest, third-party threats, shaming, insults, false legal claims,
intimidation, pressure) has a rule id and patterns in English and Chinese; word classes and
proximity (``~``/``~N``) are expanded here into plain regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.compliance.normalise import normalise
from arrears.kit import config_file

RULES_FILE = Path(__file__).parent / "content_rules.yaml"
Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
CORE_CATEGORIES = (
    "violence",
    "arrest",
    "third_party_threat",
    "shaming",
    "insult",
    "false_legal",
    "intimidation",
)
# Sentence ends (after normalisation: NFKC turns the full-width ones into these).
_ENDS = ".!?;\n。"
_CLASS = re.compile(r"\{(\w+)\}")
_GAP = re.compile(r" ~(\d*) ")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerLanguage(_Strict):
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class Category(_Strict):
    rule: str = Field(pattern=r"^content\.[a-z_]+$")
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)
    unless: PerLanguage = Field(default_factory=PerLanguage)


class ContentRules(_Strict):
    """``content_rules.yaml``."""

    gap: dict[Language, int]
    classes: dict[Language, dict[str, str]] = Field(default_factory=dict)
    categories: dict[str, Category]
    variants: str = ""

    @model_validator(mode="after")
    def _compiles(self) -> ContentRules:
        missing = set(CORE_CATEGORIES) - set(self.categories)
        if missing:
            raise ValueError(f"categories: {sorted(missing)[0]!r} is missing")
        for name, category in self.categories.items():
            for lang in LANGUAGES:
                for pattern in [*getattr(category, lang), *getattr(category.unless, lang)]:
                    try:
                        re.compile(self.expand(pattern, lang))
                    except (re.error, KeyError) as exc:
                        raise ValueError(f"categories.{name}.{lang}: {pattern!r}: {exc}") from None
        return self

    def variant_table(self) -> dict[str, str]:
        """Traditional -> simplified, from the ``variants`` pairs."""
        table = {}
        for pair in self.variants.split():
            if len(pair) != 2:
                raise ValueError(f"variants: {pair!r} is not one traditional + one simplified")
            if pair[0] != pair[1]:
                table[pair[0]] = pair[1]
        return table

    def expand(self, pattern: str, lang: Language) -> str:
        """Word classes and proximity written out as a regular expression."""
        classes = self.classes.get(lang, {})
        body = _CLASS.sub(lambda m: classes[m.group(1)], pattern)
        stop = re.escape(_ENDS)

        def gap(m: re.Match[str]) -> str:
            n = int(m.group(1) or self.gap[lang])
            if lang == "zh":
                return f"[^{stop}]{{0,{n}}}?"
            return rf"(?:[^\w{stop}]+[\w'-]+){{0,{n}}}?[^\w{stop}]+"

        body = _GAP.sub(gap, body)
        if lang == "en":
            body = rf"(?<![\w])(?:{body})(?![\w])"
        return body


@dataclass(frozen=True)
class Compiled:
    """One category ready to scan normalised text."""

    name: str
    rule: str
    pattern: re.Pattern[str] | None
    unless: re.Pattern[str] | None


def _join(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


@lru_cache(maxsize=4)
def content_rules(path: str = str(RULES_FILE)) -> ContentRules:
    """The shipped rules (or a file), validated once per process."""
    file = Path(path)
    rules = config_file.parse(
        ContentRules, config_file.read(file, "content rules"), source=f"content rules {file.name}"
    )
    rules.variant_table()
    return rules


@lru_cache(maxsize=4)
def compiled(path: str = str(RULES_FILE)) -> dict[str, Compiled]:
    """Every category as one regex over both languages (and its ``unless``)."""
    rules = content_rules(path)
    out = {}
    for name, category in rules.categories.items():
        patterns = [rules.expand(p, lang) for lang in LANGUAGES for p in getattr(category, lang)]
        unless = [
            rules.expand(p, lang) for lang in LANGUAGES for p in getattr(category.unless, lang)
        ]
        out[name] = Compiled(name, category.rule, _join(patterns), _join(unless))
    return out


def normalised(text: str, path: str = str(RULES_FILE)) -> str:
    """``text`` normalised with the rules' variant table."""
    return normalise(text, _variants(path))


@lru_cache(maxsize=4)
def _variants(path: str) -> dict[str, str]:
    return content_rules(path).variant_table()


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds ``text[start:end]``."""
    left = max(text.rfind(c, 0, start) for c in _ENDS) + 1
    rights = [i for i in (text.find(c, end) for c in _ENDS) if i >= 0]
    return text[left : min(rights) if rights else len(text)]
