"""English and Simplified Chinese. Message ids are the English text; the Chinese catalog is a PO
file shipped in the package and compiled in memory at startup (no build artefact in git, no
runtime fetch)."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from arrears.web.context import current_locale

LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGS = {"zh-CN": "zh_CN"}


@lru_cache(maxsize=4)
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog for ``locale`` (English: identity)."""
    folder = CATALOGS.get(locale)
    if folder is None:
        return gettext.NullTranslations()
    po_path = LOCALE_DIR / folder / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pick(texts: dict[str, str]) -> str:
    """Choose from a ``{"en": ..., "zh-CN": ...}`` dict (domain explanations) by locale."""
    return texts.get(current_locale.get()) or texts.get("en") or next(iter(texts.values()), "")
