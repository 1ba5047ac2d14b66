"""What every workbench page must pass in a browser: axe-core (from the npm registry, pinned in
package-lock.json) with no serious or critical violation, and in Chinese no raw identifier or
English sentence left in what the user reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Codes a Chinese page may show as they are: buckets, currencies, the center's own references
# (customer, account, staff and agency codes), and the rule ids / audit actions the page shows
# as code (<code>, left out before the check).
ALLOWED = re.compile(
    r"^(M\d\+?|CNY|TWD|USD|DPD|RPC|CSV|API|ID|OK|PDF|[A-Z]{1,4}\d[\w-]*|S-[\w-]+|T\d+|AG\d[\w-]*)$"
)
# A raw identifier: snake_case words, or an upper-case vocabulary word (CHRONIC).
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[A-Z]{4,}\b")
# An English sentence or phrase: three or more Latin words in a row.
ENGLISH = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'-]+[A-Za-z][a-z]+){2,}\b")
# Single English words a page must not show either (the common status and outcome words).
ENGLISH_WORDS = re.compile(
    r"\b(negotiation|open|assigned|pending|approved|rejected|active|junior|intermediate|"
    r"advanced|call|sms|email|letter|visit|debtor|blocked|made|kept|broken|none|Save|Next|"
    r"Total|Status|Level|Case|Queue)\b"
)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not AXE.exists():
        raise AssertionError("axe-core missing: `make assets` (npm ci) installs it")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return found


def readable_text(page: Any) -> str:
    """The page's visible text without what is data or code: <code>, the user's own data
    (``[data-raw]``: names, notes, free text someone typed), and <option> lists' values."""
    text: str = page.evaluate(
        """() => {
            const copy = document.body.cloneNode(true);
            // .reason: compliance reasons, translated from their own catalog (issue 15a);
            // the timeline's summaries are the timeline's own messages (issue 15b).
            copy.querySelectorAll('code, script, style, [data-raw], .note, .unmasked, .reason, '
                                  + '#timeline td:nth-child(3), pre.wrap[data-raw]')
                .forEach(e => e.remove());
            const titles = [...document.querySelectorAll('[title], [placeholder], [aria-label]')]
              .map(e => [e.title, e.placeholder, e.getAttribute('aria-label')].join(' '));
            document.body.appendChild(copy);
            copy.style.position = 'absolute';
            const text = copy.innerText;
            copy.remove();
            return text + '\\n' + titles.join('\\n');
        }"""
    )
    return text


def untranslated(text: str, *, allow: set[str]) -> list[str]:
    """Raw identifiers and English left in a Chinese page's text (``allow``: data shown as
    is, e.g. the user names of the test's seed)."""
    found: list[str] = []
    for pattern in (IDENTIFIER, ENGLISH, ENGLISH_WORDS):
        for match in pattern.finditer(text):
            word = match.group(0)
            if word in allow or ALLOWED.match(word):
                continue
            if any(a in word for a in allow):
                continue
            found.append(word)
    return sorted(set(found))
