"""Letters as HTML (Jinja2 + CSS, one template per kind, wording per locale) and as PDF
(WeasyPrint). The HTML is also what the compliance content check reads, as plain text."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import markupsafe
import yaml

from arrears.contacts.letters.notice import Letter, amounts_text, fields, money
from arrears.kit.errors import BadInput

_TEMPLATES = resources.files("arrears.contacts.letters") / "templates"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def wording() -> dict[str, dict[str, Any]]:
    text = (resources.files("arrears.contacts.letters") / "wording.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return loaded


def words(locale: str, key: str, **values: object) -> str:
    """One sentence of the letter wording (``cn-card.intro``) in ``locale``, filled in."""
    node: Any = wording().get(locale) or wording()["en"]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise BadInput(f"letter wording {key!r} is missing for {locale}")
        node = node[part]
    text = str(node).format(**values)
    # A sentence may open with a value ("the Card Center is trying..."): it starts a sentence.
    return text[:1].upper() + text[1:]


def render_html(letter: Letter) -> str:
    """The letter as one self-contained HTML page (the CSS inlined)."""
    try:
        template = _env().get_template(f"{letter.kind}.html.j2")
    except jinja2.TemplateNotFound:
        raise BadInput(f"no letter template for kind {letter.kind!r}") from None

    def w(key: str, **values: object) -> str:
        return words(letter.locale, key, **values)

    def total(attr: str) -> str:
        if letter.currency == "mixed":
            return amounts_text(letter)
        return money(letter.total(attr), letter.currency)

    return template.render(
        letter=letter,
        kind=letter.kind,
        head=letter.letterhead,
        end=letter.validation_end,
        w=w,
        money=money,
        total=total,
        # Our own stylesheet, not data: inlined as it is (escaping would break its quotes).
        css=markupsafe.Markup((_TEMPLATES / "letter.css").read_text("utf-8")),
    )


_TAG = re.compile(r"<(style|title)[^>]*>.*?</\1>|<[^>]+>", re.S)
_SPACE = re.compile(r"[ \t\r\f\v]*\n\s*|[ \t]+")


def plain_text(page: str) -> str:
    """What the letter says, without markup: the text the content checker reads."""
    text = html.unescape(_TAG.sub(" ", page))
    return _SPACE.sub(lambda m: "\n" if "\n" in m.group(0) else " ", text).strip()


def letter_fields(letter: Letter) -> dict[str, str]:
    """The compliance fields of ``letter``, with its printed Reg F prompts."""
    end = letter.validation_end
    return fields(
        letter,
        dispute_prompt=words(letter.locale, "us-reg-f.dispute_prompt", end=end) if end else "",
        original_creditor_prompt=(
            words(letter.locale, "us-reg-f.original_creditor_prompt", end=end) if end else ""
        ),
    )


def render_pdf(page: str) -> tuple[bytes, int]:
    """The HTML page as PDF bytes and its page count; WeasyPrint embeds the fonts (subset)."""
    import weasyprint  # slow to import (Pango, fonts): only when a PDF is asked for

    document = weasyprint.HTML(string=page, base_url=str(_TEMPLATES)).render()
    pdf: bytes = document.write_pdf()
    return pdf, len(document.pages)
