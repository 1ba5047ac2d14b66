"""The content checker against its labelled corpus, its normalisation, and the product's own
scripts (every shipped script in every locale passes every profile's rules)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.compliance.content import check_content
from arrears.compliance.content_rules import CORE_CATEGORIES, content_rules, normalised
from arrears.compliance.profile import load_profile, profile_names
from arrears.contacts import letters, scripts
from tests.unit.test_contacts_scripts import CONTEXT

DATA = Path(__file__).resolve().parents[1] / "data"


def corpus(name: str = "content_corpus.yaml") -> list[tuple[str, str, str]]:
    """(label, language, text) for every text of a corpus file."""
    raw = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return [
        (label, lang, text)
        for label, langs in raw.items()
        for lang, texts in langs.items()
        for text in texts
    ]


CORPUS = corpus()


def test_the_corpus_is_large_balanced_and_bilingual() -> None:
    assert len(CORPUS) >= 300
    lawful = [t for t in CORPUS if t[0] == "lawful"]
    assert 0.4 <= len(lawful) / len(CORPUS) <= 0.6
    assert {label for label, _, _ in CORPUS} == {"lawful", *CORE_CATEGORIES}
    for label in {label for label, _, _ in CORPUS}:
        assert {lang for lab, lang, _ in CORPUS if lab == label} == {"en", "zh"}, label
    assert len({text for _, _, text in CORPUS}) == len(CORPUS), "a text is listed twice"


@pytest.mark.parametrize("profile_name", profile_names())
def test_the_first_held_out_set_now_development_data_stays_caught(profile_name: str) -> None:
    # content_heldout.yaml was used to generalise the rules (compositional patterns), so it is
    # development data now: a regression guard, not a measure. content_heldout_v2.yaml is the
    # measure (bench/content_checker.py) and no test asserts on it, so nobody tunes to it.
    profile = load_profile(profile_name)
    texts = corpus("content_heldout.yaml")
    assert [t for lab, _, t in texts if lab == "lawful" and check_content(t, profile=profile)] == []
    abusive = [t for lab, _, t in texts if lab != "lawful"]
    missed = [t for t in abusive if not check_content(t, profile=profile)]
    assert 1 - len(missed) / len(abusive) >= 0.95, missed


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        # a negation scopes to its own clause: the threat after the comma still counts
        ("我们不会放过你，明天就去你单位找你领导。", True),
        ("我行催收人员不会到您的工作单位。", False),
        # the reader's choice, not the collector's threat
        ("如您希望由家属代为沟通，请提供书面授权。", False),
        # a civil matter explained is not a threat of arrest
        ("欠信用卡属于民事债务，不涉及刑事责任。", False),
        ("Police deal with crimes; a missed card payment is a civil debt.", False),
        # threat verb x target, composed: words the corpus never pairs
        ("We'll be ringing your brother-in-law's office about your arrears.", True),
        ("Your colleagues will get an email from us today.", True),
        ("你老婆还不知道吧？我们今天就告诉她。", True),
    ],
)
def test_compositional_patterns_and_clause_scoped_negation(text: str, blocked: bool) -> None:
    assert bool(check_content(text, profile=load_profile("cn-card"))) is blocked, text


@pytest.mark.parametrize("profile_name", profile_names())
def test_no_lawful_text_is_blocked_and_abuse_is_caught(profile_name: str) -> None:
    profile = load_profile(profile_name)
    blocked_lawful = [
        t for label, _, t in CORPUS if label == "lawful" and check_content(t, profile=profile)
    ]
    assert blocked_lawful == []
    abusive = [(label, t) for label, _, t in CORPUS if label != "lawful"]
    missed = [t for _, t in abusive if not check_content(t, profile=profile)]
    assert 1 - len(missed) / len(abusive) >= 0.95, missed
    # ...and in its own category, per category.
    for category in CORE_CATEGORIES:
        texts = [t for label, t in abusive if label == category]
        hit = [
            t for t in texts if category in {f.category for f in check_content(t, profile=profile)}
        ]
        assert len(hit) / len(texts) >= 0.9, (category, set(texts) - set(hit))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("we'll notify your boss and your family", "third_party_threat"),
        ("我们会通知你的老板和家人", "third_party_threat"),
        ("我们会在你们小区让你丢人", "shaming"),
        ("我们会在你的小区曝光你", "shaming"),
    ],
)
def test_the_issues_examples_are_blocked_everywhere(text: str, category: str) -> None:
    for name in profile_names():
        findings = check_content(text, profile=load_profile(name))
        assert category in {f.category for f in findings}, (name, text)
        assert all(f.rule == f"content.{f.category}" for f in findings)


def test_normalisation_undoes_full_width_spacing_and_traditional_forms() -> None:
    assert normalised("ＷＥ ＷＩＬＬ ＣＡＬＬ ＴＨＥ ＰＯＬＩＣＥ") == "we will call the police"
    assert normalised("坐 * 牢") == "坐牢"
    assert normalised("打斷你的腿") == "打断你的腿"
    assert normalised("you d-e-a-d-b-e-a-t") == "you deadbeat"
    assert normalised("We\u2019ll call") == "we'll call"
    # Sentence punctuation is kept: it ends a thought, so proximity never crosses it.
    assert normalised("还款。报警") == "还款。报警"


def test_every_chinese_character_of_the_variant_table_maps_to_one_the_rules_use() -> None:
    table = content_rules().variant_table()
    assert all(len(k) == 1 and len(v) == 1 for k, v in table.items())
    assert (table["們"], table["斷"], table["訴"]) == ("们", "断", "诉")


ZH_ABUSE = [t for label, lang, t in CORPUS if label != "lawful" and lang == "zh"]


@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(ZH_ABUSE) - 1),
    filler=st.sampled_from([" ", "  ", "*", "·", "-", "\u200b", "\u3000"]),
)
def test_filler_between_chinese_characters_does_not_hide_abuse(index: int, filler: str) -> None:
    text = ZH_ABUSE[index]
    profile = load_profile("cn-card")
    if not check_content(text, profile=profile):
        return  # a text the checker misses anyway (counted by the corpus test)
    spaced = filler.join(text)
    assert check_content(spaced, profile=profile), spaced


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_is_checked_without_error(text: str) -> None:
    check_content(text, profile=load_profile("us-reg-f"), audience="third_party")


def _real_context(locale: str) -> dict[str, object]:
    # The letterhead the product ships (its bank name holds 信用卡), not a test bank's.
    head = letters.letterhead(locale)
    return {**CONTEXT, **head, "collector_name": head["staff"]}


@pytest.mark.parametrize("profile_name", profile_names())
@pytest.mark.parametrize("locale", scripts.LOCALES)
@pytest.mark.parametrize("name", scripts.SCRIPTS)
def test_every_shipped_script_passes_its_own_rules(
    name: str, locale: str, profile_name: str
) -> None:
    audience = "third_party" if name == "contact_person_callback" else "debtor"
    text = scripts.render(name, locale=locale, context=_real_context(locale))
    findings = check_content(text, profile=load_profile(profile_name), audience=audience)
    assert findings == [], (text, findings)


def test_the_old_contact_person_script_would_have_disclosed_the_debt() -> None:
    # What the shipped Chinese script said before: the bank's name holds 信用卡.
    old = "您好，我是信用卡中心的工作人员。麻烦您转告李伟回电400-000-0000，谢谢。"
    findings = check_content(old, profile=load_profile("cn-card"), audience="third_party")
    assert [f.rule for f in findings] == ["third_party.disclosure"]
