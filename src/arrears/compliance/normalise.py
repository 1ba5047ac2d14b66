"""Text as the content checker reads it: one form for the many ways a word can be written.

Full-width letters and digits become ASCII (NFKC), upper case lower, traditional characters
simplified (a table of the characters the rules use), spaces and filler punctuation inside a
Chinese word dropped ("坐 牢", "坐*牢"), letter-spaced English words joined ("j a i l",
"k-i-l-l"), curly quotes straight. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
# Between two Han characters: spaces and the punctuation people put inside a word to hide it
# (sentence punctuation, which ends a thought, is kept).
_HAN_FILLER = re.compile(rf"(?<=[{HAN}])[\s*_\-.·•~|/\\'\"+^=#@`]+(?=[{HAN}])")
# Three or more single letters with the same separator: "j a i l", "k-i-l-l", "d.e.a.d".
_SPACED = re.compile(r"(?<![a-z])[a-z](?:([ .\-*_])[a-z])(?:\1[a-z])+(?![a-z])")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SPACES = re.compile(r"[ \t\u3000]+")


def normalise(text: str, variants: Mapping[str, str] | None = None) -> str:
    """``text`` in the form the rules are written for (same length or shorter)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    if variants:
        table: dict[str, str | int | None] = dict(variants)
        text = text.translate(str.maketrans(table))
    text = _INVISIBLE.sub("", text)
    # Runs of spaces first, so "j  a  i  l" is letter-spaced like "j a i l".
    text = _SPACES.sub(" ", text)
    text = _HAN_FILLER.sub("", text)
    return _SPACED.sub(lambda m: re.sub(r"[ .\-*_]", "", m.group(0)), text)
