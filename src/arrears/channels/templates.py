"""Message templates: Jinja2 files in ``channels/templates/<locale>/<name>.<part>.j2``, one set per
channel (an SMS is ``.sms``; an e-mail is ``.subject``, ``.txt`` and ``.html``), in English and
Simplified Chinese. A missing value is an error, never a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, UndefinedError

from arrears.kit.errors import BadInput
from arrears.vocabulary import LOCALES

# The parts each channel's message is made of.
PARTS: dict[str, tuple[str, ...]] = {"sms": ("sms",), "email": ("subject", "txt", "html")}
# Templates that carry the collector's own words (``note``), besides the case's figures.
NOTE_TEMPLATES = ("collector_note",)


@dataclass(frozen=True)
class Rendered:
    body: str
    subject: str | None = None
    html: str | None = None


@lru_cache(maxsize=1)
def _env() -> Environment:
    # HTML parts are escaped (a customer name is data, not markup); text parts are plain.
    return Environment(
        loader=PackageLoader("arrears.channels", "templates"),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        keep_trailing_newline=False,
    )


def known() -> dict[str, list[str]]:
    """channel -> the template names that exist for it (in every locale)."""
    names = _env().list_templates(extensions=["j2"])
    out: dict[str, list[str]] = {}
    for channel, parts in PARTS.items():
        found = []
        for path in names:
            locale, _, file = path.partition("/")
            stem, _, part = file.removesuffix(".j2").rpartition(".")
            if locale == LOCALES[0] and part == parts[0]:
                found.append(stem)
        out[channel] = sorted(found)
    return out


def check_name(name: str, channel: str) -> None:
    """``BadInput`` unless ``name`` is a template of ``channel``."""
    if channel not in PARTS:
        raise BadInput(f"channel must be one of: {', '.join(PARTS)} (got {channel!r})")
    names = known()[channel]
    if name not in names:
        raise BadInput(f"no {channel} template named {name!r}; known: {', '.join(names)}")


@lru_cache(maxsize=1)
def _opt_outs() -> dict[str, Any]:
    text = (resources.files("arrears.channels") / "templates" / "opt_out.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def opt_out_text(channel: str, locale: str) -> str:
    """The simple opt-out an electronic message carries (Reg F §1006.6(e))."""
    return str(_opt_outs()["texts"].get(channel, {}).get(locale, ""))


def is_opt_out_reply(text: str) -> bool:
    """Whether a reply says stop ("STOP", "td", "退订。"): case, spaces, punctuation ignored."""
    word = "".join(ch for ch in text.casefold() if ch.isalnum())
    return word in {str(w).casefold() for w in _opt_outs()["reply_words"]}


def render(name: str, *, channel: str, locale: str, context: dict[str, Any]) -> Rendered:
    """Render template ``name`` for ``channel`` in ``locale`` with ``context``."""
    check_name(name, channel)
    if locale not in LOCALES:
        raise BadInput(f"locale must be one of: {', '.join(LOCALES)} (got {locale!r})")
    parts: dict[str, str] = {}
    for part in PARTS[channel]:
        try:
            template = _env().get_template(f"{locale}/{name}.{part}.j2")
        except TemplateNotFound as exc:
            raise BadInput(f"template {name} has no {part} part in {locale}") from exc
        try:
            parts[part] = template.render(**context).strip()
        except UndefinedError as exc:
            raise BadInput(f"template {name} ({locale}) needs a value: {exc.message}") from exc
    if channel == "sms":
        return Rendered(body=parts["sms"])
    return Rendered(body=parts["txt"], subject=parts["subject"], html=parts["html"])
