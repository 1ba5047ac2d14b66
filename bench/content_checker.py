"""Content checker benchmark: the labelled corpus, the new checker beside the old keyword list.

Side by side in one process on the same texts: the rebuilt checker (``check_content`` with the
cn-card profile: normalisation, patterns per category) and the baseline it replaced, the cn-card
profile's old prohibited keyword list matched the old way (raw text, English on word edges).
Prints, for the corpus (tests/data/content_corpus.yaml, the patterns were written against it),
the first held-out set (tests/data/content_heldout.yaml: written after the first patterns, then
used as development data when the rules were generalised) and the second held-out set
(tests/data/content_heldout_v2.yaml: committed before the generalisation, measured once at the
end, never tuned on): recall and precision per category, lawful texts blocked, then the time to
check the corpus (interleaved A B A B, median and spread), the ratio, and peak memory. Texts of
a held-out set that also appear, word for word, in a set the rules were developed on are
counted and reported (they flatter the held-out figure).

    python bench/content_checker.py [--rounds 5] [--profile cn-card]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

from arrears.compliance.content import check_content
from arrears.compliance.content_rules import CORE_CATEGORIES
from arrears.compliance.profile import load_profile

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"

# The cn-card profile's prohibited list before the rebuild (frozen copy: the baseline).
OLD_KEYWORDS = {
    "threat": {
        "en": [
            "arrest",
            "jail",
            "prison",
            "we will tell your employer",
            "hurt you",
            "you will regret",
        ],
        "zh": [
            "威胁",
            "坐牢",
            "抓你",
            "拘留",
            "后果自负",
            "上门堵你",
            "打断",
            "弄死",
            "让你好看",
            "找人收拾",
        ],
    },
    "insult": {
        "en": ["deadbeat", "loser", "idiot", "scum"],
        "zh": ["老赖", "骗子", "废物", "滚", "不要脸", "无赖", "垃圾"],
    },
    "false_legal": {
        "en": ["criminal charges", "warrant", "police will"],
        "zh": ["刑事责任", "立案", "公安", "法院已判决", "通缉", "征信黑名单永久"],
    },
    "public_embarrassment": {
        "en": ["post your name", "contact list", "tell your family"],
        "zh": ["曝光", "通讯录", "通知你的亲友", "挂网", "告诉你单位", "爆通讯录"],
    },
}
_OLD = re.compile(
    "|".join(
        [rf"(?<!\w){re.escape(p)}(?!\w)" for c in OLD_KEYWORDS.values() for p in c["en"]]
        + [re.escape(p) for c in OLD_KEYWORDS.values() for p in c["zh"]]
    ),
    re.IGNORECASE,
)


def old_blocks(text: str) -> bool:
    return _OLD.search(text) is not None


def load(name: str) -> list[tuple[str, str, str]]:
    raw = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return [
        (lab, lang, t) for lab, langs in raw.items() for lang, texts in langs.items() for t in texts
    ]


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   n/a"


def quality(texts: list[tuple[str, str, str]], profile_name: str, title: str) -> None:
    profile = load_profile(profile_name)
    new = {t: {f.category for f in check_content(t, profile=profile)} for _, _, t in texts}
    print(f"\n{title}: {len(texts)} texts")
    print(f"{'label':<20}{'n':>4}  {'recall':>7} {'in cat':>7} {'prec':>7}  {'baseline':>8}")
    abusive = [(lab, t) for lab, _, t in texts if lab != "lawful"]
    for category in CORE_CATEGORIES:
        mine = [t for lab, t in abusive if lab == category]
        blocked = sum(1 for t in mine if new[t])
        in_cat = sum(1 for t in mine if category in new[t])
        flagged = [lab for lab, _, t in texts if category in new[t]]
        precision = pct(sum(1 for lab in flagged if lab == category), len(flagged))
        base = sum(1 for t in mine if old_blocks(t))
        print(
            f"{category:<20}{len(mine):>4}  {pct(blocked, len(mine))} {pct(in_cat, len(mine))}"
            f" {precision}  {pct(base, len(mine)):>8}"
        )
    lawful = [t for lab, _, t in texts if lab == "lawful"]
    blocked_new = sum(1 for t in lawful if new[t])
    blocked_old = sum(1 for t in lawful if old_blocks(t))
    hits_new = sum(1 for _, t in abusive if new[t])
    hits_old = sum(1 for _, t in abusive if old_blocks(t))
    print(
        f"{'all abusive':<20}{len(abusive):>4}  {pct(hits_new, len(abusive))} {'':>7}"
        f" {pct(hits_new, hits_new + blocked_new)}  {pct(hits_old, len(abusive)):>8}"
        f"  (baseline precision {pct(hits_old, hits_old + blocked_old).strip()})"
    )
    print(f"{'lawful blocked':<20}{len(lawful):>4}  {blocked_new:>7} {'':>15}  {blocked_old:>8}")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", default="cn-card")
    args = parser.parse_args()
    texts = load("content_corpus.yaml")
    quality(texts, args.profile, "corpus (patterns written against it)")
    quality(
        load("content_heldout.yaml"),
        args.profile,
        "held-out v1 (written after the first rules; development data of the generalised ones)",
    )
    v2 = load("content_heldout_v2.yaml")
    quality(v2, args.profile, "held-out v2 (frozen before the generalisation, never tuned on)")
    seen = {t for _, _, t in texts} | {t for _, _, t in load("content_heldout.yaml")}
    repeated = [t for _, _, t in v2 if t in seen]
    print(f"  v2 texts also in the development sets, word for word: {len(repeated)}")

    profile = load_profile(args.profile)
    plain = [t for _, _, t in texts]
    check_content(plain[0], profile=profile)  # compile once, outside the clock

    def new() -> None:
        for t in plain:
            check_content(t, profile=profile)

    def old() -> None:
        for t in plain:
            old_blocks(t)

    a: list[float] = []
    b: list[float] = []
    for _ in range(max(args.rounds, 3)):  # interleaved: A B A B
        a.append(timed(new))
        b.append(timed(old))
    ma, mb = statistics.median(a), statistics.median(b)
    per = 1e6 / len(plain)
    print(f"\ntime to check {len(plain)} texts, {len(a)} rounds interleaved")
    print(f"  new checker : median {ma * per:8.1f} us/text  spread {(max(a) - min(a)) * per:.1f}")
    print(f"  old keywords: median {mb * per:8.1f} us/text  spread {(max(b) - min(b)) * per:.1f}")
    print(f"  ratio new/old: {ma / mb:.1f}x")
    print(f"  peak memory: new {peak(new) / 1024:.0f} KiB, old {peak(old) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
