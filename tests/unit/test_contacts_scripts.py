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
    "items": [
        {
            "label": "principal",
            "name": "statement balance",
            "amount": "5000.00",
            "explanation": "the statement balance",
        }
    ],
    "plan_options": [{"label_en": "3 monthly instalments", "label_zh": "分3期"}],
    "legal_basis_en": "Cardholder agreement, clause 12.",
    "legal_basis_zh": "信用卡领用合约第12条。",
    "promise_made_on": "2026-02-01",
    "promise_due_on": "2026-02-10",
    "promise_amount": "800.00",
    "promise_paid": "0.00",
    "interest_name": "overdraft interest",
    "interest_rate": "0.05% a day",
    "fee_name": "breach fee",
    "fee_rule": "5% of that statement's unpaid minimum",
    "charges_stopped_on": "",
    "stop_name": "",
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
    assert "5,000.00" in text  # grouped, two decimals (Babel)
    assert "5,210.40" in text
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


# --- wording against the fee schedules, plurals and amounts (issue 20, item 5) ----------------

from decimal import Decimal  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from arrears.delinquency.fees import charge_terms, load_fee_schedule, shipped_schedules  # noqa: E402
from arrears.kit import wording  # noqa: E402
from arrears.promises.plans import plan_options  # noqa: E402
from arrears.promises.policy import load_promise_policy  # noqa: E402

D = Decimal


@pytest.mark.parametrize("schedule", shipped_schedules())
def test_credit_education_says_what_accrues_daily_and_what_is_charged_per_statement(
    schedule: str,
) -> None:
    """The script said breach fees "accrue every day"; they are charged once per statement."""
    fees = load_fee_schedule(schedule)
    en = scripts.render(
        "credit_education", locale="en", context={**CONTEXT, **charge_terms(fees, "en", "CNY")}
    )
    interest, fee = fees.interest.label.en, fees.late_fee.label.en
    assert f"{interest} (" in en
    assert "accrues every day on the unpaid principal" in en
    assert f"a {fee} (" in en
    assert "charged once for each statement whose minimum payment is not paid by its due" in en
    assert "fees and overdraft interest accrue every day" not in en
    zh = scripts.render(
        "credit_education",
        locale="zh-CN",
        context={**CONTEXT, **charge_terms(fees, "zh-CN", "CNY")},
    )
    assert f"{fees.interest.label.zh_cn}按未还本金每天计收" in zh
    assert (
        f"{fees.late_fee.label.zh_cn}不是每天收取，而是每期账单的最低还款额到期未还时收取一次" in zh
    )
    assert "违约金和透支利息会每天产生" not in zh


def test_the_fee_rule_follows_the_profile() -> None:
    cn = charge_terms(load_fee_schedule("cn-card"), "en", "CNY")
    assert (cn["interest_rate"], cn["fee_rule"]) == (
        "0.05% a day",
        "5% of that statement's unpaid minimum",
    )
    us = charge_terms(load_fee_schedule("us-card"), "zh-CN", "USD")
    assert (us["fee_name"], us["interest_rate"]) == ("滞纳金", "年利率29.99%")
    assert us["fee_rule"] == "每期30.00 USD，封顶41.00 USD"


def test_after_the_accrual_stop_the_script_does_not_say_charges_grow() -> None:
    stopped = {**CONTEXT, "charges_stopped_on": "2026-01-24", "stop_name": "non-accrual"}
    text = scripts.render("credit_education", locale="en", context=stopped)
    assert "No overdraft interest or breach fee has been added since 2026-01-24" in text
    assert "accrues every day" not in text


@pytest.mark.parametrize("locale", scripts.LOCALES)
def test_one_day_late_is_singular_and_amounts_are_grouped(locale: str) -> None:
    text = scripts.render(
        "formal_notice", locale=locale, context={**CONTEXT, "dpd": 1, "total_due": "1234567.5"}
    )
    assert "1,234,567.50" in text
    if locale == "en":
        assert "(1 day)" in text
        assert "1 days" not in text
    one = scripts.render("first_call", locale=locale, context={**CONTEXT, "amount_past_due": 800})
    assert "800.00" in one


@given(count=st.integers(min_value=0, max_value=10_000))
def test_english_plurals_follow_babel(count: int) -> None:
    assert wording.count_of(count, "cycle", "cycles") == (
        f"{count} cycle" if count == 1 else f"{count} cycles"
    )
    assert wording.count_of(count, "天", "天", "zh-CN") == f"{count} 天"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_amounts_have_two_decimals_and_groups_in_both_languages(value: object) -> None:
    for locale in scripts.LOCALES:
        text = wording.amount(value, "CNY", locale)  # type: ignore[arg-type]
        whole, cents = text.lstrip("-").split(".")
        assert len(cents) == 2
        assert all(len(g) == 3 for g in whole.split(",")[1:])
        assert text.replace(",", "") == f"{value:.2f}"


def test_plan_option_labels_read_like_sentences() -> None:
    policy = load_promise_policy()
    options = plan_options(
        total_due=D("12000"),
        amount_past_due=D("3000"),
        dpd=120,
        offers=policy.offers,
        plan_rules=policy.plan,
        settlement_rules=policy.settlement,
    )
    assert options[0].label_en == "pay the past-due amount of 3,000.00 CNY now"
    assert options[0].label_zh == "立即还清逾期金额3,000.00 CNY"
    assert all("1 monthly instalments" not in o.label_en for o in options)
    settle = next(o for o in options if o.kind == "settlement")
    assert f"settle in full for {wording.amount(settle.amount)} CNY (" in settle.label_en
    assert "," in settle.label_en.split(" CNY")[0]  # thousands grouped


def test_a_rejected_settlement_is_reported_as_a_settlement() -> None:
    from arrears.cli.promises import decided

    settlement = {
        "id": 4,
        "kind": "settlement",
        "status": "rejected",
        "total": "9600.00",
        "currency": "CNY",
        "instalment_count": 1,
    }
    assert decided(settlement) == "settlement 4: rejected (pay 9,600.00 CNY once)"
    plan = {**settlement, "id": 5, "kind": "plan", "status": "approved", "instalment_count": 1}
    assert decided(plan) == "plan 5: approved (9,600.00 CNY over 1 instalment)"
