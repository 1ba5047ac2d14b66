from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from arrears.compliance.schemas import Outcome
from arrears.contacts import courtesy, scripts
from arrears.contacts.vocabulary import COMPLIANCE_OUTCOME, OUTCOMES
from arrears.kit.errors import BadInput

CONTEXT = {
    "customer_name": "Li Wei",
    "collector_name": "Chen",
    "bank_name": "Example Bank",
    "caller_name": "Example Bank customer service",
    "bank_phone": "95555",
    "bank_address": "1 Bank Road",
    "bank_seal": "Example Bank Card Center",
    "card_tail": "4321",
    "currency": "CNY",
    "as_of": "2026-03-01",
    "dpd": 35,
    "bucket": "M2",
    "total_due": "5210.40",
    "amount_past_due": "812.00",
    "items": [{"label": "principal", "amount": "5000.00", "explanation": "the statement balance"}],
    "plan_options": [{"label_en": "3 monthly instalments", "label_zh": "分3期"}],
    "legal_basis_en": "Cardholder agreement, clause 12.",
    "legal_basis_zh": "信用卡领用合约第12条。",
    "promise_made_on": "2026-02-01",
    "promise_due_on": "2026-02-10",
    "promise_amount": "800.00",
    "promise_paid": "0.00",
}


@pytest.mark.parametrize("locale", scripts.LOCALES)
@pytest.mark.parametrize("name", scripts.SCRIPTS)
def test_every_script_renders_in_both_languages(name: str, locale: str) -> None:
    text = scripts.render(name, locale=locale, context=CONTEXT)
    assert "Li Wei" in text
    assert "{{" not in text


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(BadInput, match="needs a value"):
        scripts.render("credit_education", locale="en", context={"customer_name": "x"})


def test_unknown_script_and_locale_are_refused() -> None:
    with pytest.raises(BadInput, match="no script"):
        scripts.render("threaten", locale="en", context=CONTEXT)
    with pytest.raises(BadInput, match="locale"):
        scripts.render("stop_1", locale="fr", context=CONTEXT)


def test_credit_education_shows_the_breakdown_lines() -> None:
    text = scripts.render("credit_education", locale="zh-CN", context=CONTEXT)
    assert "5000.00" in text
    assert "5210.40" in text
    assert "逾期35天" in text


def test_every_outcome_maps_to_the_compliance_vocabulary() -> None:
    assert set(COMPLIANCE_OUTCOME) == set(OUTCOMES)
    # ...and onto words the engine accepts: a `wrong_number` mapped to itself made every later
    # call to that customer fail validation for a month (found by `arrears simulate`).
    assert set(COMPLIANCE_OUTCOME.values()) <= set(get_args(Outcome))


def test_festival_dates_follow_the_lunar_calendar() -> None:
    assert courtesy.festival_date("spring_festival", 2026) == date(2026, 2, 17)
    assert courtesy.festival_date("spring_festival", 2027) == date(2027, 2, 6)
    assert courtesy.festival_date("mid_autumn", 2026) == date(2026, 9, 25)
    assert courtesy.festival_date("mid_autumn", 2027) == date(2027, 9, 15)


def test_greetings_fall_due_on_their_send_day_only() -> None:
    policy = courtesy.load_courtesy_policy()
    assert [g.occasion for g in courtesy.greetings_due(policy, date(2026, 2, 16))] == [
        "spring_festival"
    ]
    assert [g.occasion for g in courtesy.greetings_due(policy, date(2026, 9, 25))] == ["mid_autumn"]
    assert courtesy.greetings_due(policy, date(2026, 2, 17)) == []


@pytest.mark.parametrize("locale", scripts.LOCALES)
@pytest.mark.parametrize("name", ["courtesy_spring_festival", "courtesy_mid_autumn"])
def test_shipped_greetings_carry_no_debt_content(name: str, locale: str) -> None:
    policy = courtesy.load_courtesy_policy()
    text = scripts.render(name, locale=locale, context=CONTEXT)
    assert courtesy.debt_content(text, policy) == []


def test_debt_content_is_caught_in_both_languages() -> None:
    policy = courtesy.load_courtesy_policy()
    assert "overdue" in courtesy.debt_content("Happy new year! Your card is overdue.", policy)
    assert "逾期" in courtesy.debt_content("春节快乐！您的账户已逾期", policy)
    assert courtesy.debt_content("Happy new year, 800 yuan", policy)


# --- the prohibited-language check (the compliance engine's checker, not a second one) -------

from arrears.contacts import service as contact_service  # noqa: E402


@pytest.mark.parametrize("locale", scripts.LOCALES)
@pytest.mark.parametrize("name", scripts.SCRIPTS)
def test_every_shipped_script_passes_the_prohibited_language_check(name: str, locale: str) -> None:
    audience = "third_party" if name == "contact_person_callback" else "debtor"
    text = contact_service.checked_script(
        name=name, locale=locale, context=CONTEXT, audience=audience
    )
    assert text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Pay now or you will go to jail", "arrest"),
        ("We will tell your employer about this", "third_party_threat"),
        ("不还钱就让你坐牢", "arrest"),
        ("我们会把你曝光", None),
    ],
)
def test_the_checker_catches_threats_in_english_and_chinese(
    text: str, category: str | None
) -> None:
    findings = contact_service.content_findings(text)
    assert findings, text
    assert all(f.rule == f"content.{f.category}" for f in findings)
    if category:
        assert category in {f.category for f in findings}


def test_a_callback_request_that_mentions_the_debt_fails_for_a_third_party() -> None:
    text = "请转告他尽快还款，他的信用卡已经逾期"
    assert contact_service.content_findings(text, audience="third_party")
    assert not contact_service.content_findings("麻烦您转告他回电，谢谢", audience="third_party")


def test_a_script_with_prohibited_words_is_refused(tmp_path: object) -> None:
    with pytest.raises(BadInput, match="fails the content check"):
        contact_service.checked_script(
            name="stop_1", locale="en", context={**CONTEXT, "customer_name": "jail"}
        )
