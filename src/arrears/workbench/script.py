"""The case script: the level's script (or a named one) rendered with the case's real figures,
the breakdown, the plan options and the latest promise; letters carry the fields the compliance
profile requires. Refused if the content check finds prohibited language.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.compliance.content import check_fields
from arrears.config import get_settings
from arrears.contacts import letters, scripts
from arrears.contacts import service as contact_service
from arrears.delinquency.fees import charge_terms
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder
from arrears.promises import service as promise_service
from arrears.workforce import staff_service


def case_script(
    *,
    session: Session,
    work_order_id: int,
    name: str | None = None,
    locale: str | None = None,
    collector_name: str = "",
) -> dict[str, Any]:
    """A script rendered with the case's real data: breakdown, plan options, latest promise,
    and how the fee profile's charges build up (interest daily, the fee once per statement).

    Without ``name`` the level's script is chosen (junior: credit education, intermediate:
    negotiation, advanced: formal notice). Letters carry the fields the profile requires.
    ``collector_name`` is who speaks (the signed-in user); without it, whoever works the case
    (its collector, or the agency it is placed with); a case nobody works needs one.
    """
    wo = case_service.get(session=session, work_order_id=work_order_id)
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no cardholder")
    locale = locale or (holder.language if holder.language in scripts.LOCALES else None)
    locale = scripts.check_locale(locale or get_settings().locale)
    name = name or scripts.script_for_level(wo.level)
    collector_name = collector_name.strip() or (
        staff_service.holder_name(session=session, work_order_id=wo.id) or ""
    )
    if not collector_name:
        raise BadInput(f"case {wo.id} has no collector: say who speaks (--as USERNAME, or sign in)")
    context = case_context(
        session=session, work_order=wo, holder=holder, locale=locale, collector_name=collector_name
    )
    items = context["items"]
    text = contact_service.checked_script(name=name, locale=locale, context=context)
    result: dict[str, Any] = {
        "name": name,
        "locale": locale,
        "level": wo.level,
        "text": text,
        "plan_options": context["plan_options"],
        "items": items,
    }
    if name in scripts.LETTERS:
        fields = letters.letter_fields(context)
        missing = check_fields("letter", fields, profile=contact_service.profile())
        if missing:
            raise BadInput(
                "the letter lacks required fields: " + ", ".join(f.phrase for f in missing)
            )
        result["fields"] = fields
    return result


def case_context(
    *,
    session: Session,
    work_order: WorkOrder,
    holder: Cardholder,
    locale: str,
    collector_name: str = "",
) -> dict[str, Any]:
    """The case's real figures a script, a message or a letter is rendered with (in ``locale``):
    the breakdown as of today, the plan options, the latest promise, the bank's letterhead."""
    wo = work_order
    head = letters.letterhead(locale)
    parts = case_service.breakdowns(session=session, work_order_id=wo.id)
    lang = "zh-CN" if locale == "zh-CN" else "en"
    terms = charge_terms(case_service.fee_schedule(), locale, wo.currency)
    names = {
        "principal": "账单余额" if lang == "zh-CN" else "statement balance",
        "interest": terms["interest_name"],
        "fee": terms["fee_name"],
        "accrual_stop": "停止计费" if lang == "zh-CN" else "charges stopped",
        "payment": "已收还款" if lang == "zh-CN" else "payment received",
    }
    items = [
        {
            "label": item.kind,
            "name": names.get(item.kind, item.kind),  # what the script reads out
            "amount": item.amount,
            "explanation": item.explanation[lang],
        }
        for part in parts
        for item in part.breakdown.items
    ]
    # Charges stopped on every account (charge-off, non-accrual): the script must not say they
    # still grow. The day is the latest of the accounts' stops.
    stops = [p.breakdown.accrual for p in parts]
    stopped = bool(stops) and all(a.stopped for a in stops)
    stopped_on = max((a.stopped_on for a in stops if a.stopped_on), default=None)
    stop_label = next((a.stop for a in stops if a.stop), None)
    total_due = sum((p.breakdown.total_due for p in parts), wo.amount_due * 0)
    past_due = sum((p.breakdown.aging.amount_past_due for p in parts), wo.amount_due * 0)
    dpd = max((p.breakdown.aging.dpd for p in parts), default=wo.dpd)
    refs = [p.account_ref for p in parts] or [
        a.account_ref for a in case_repository.accounts_of(session, wo.id)
    ]
    latest = promise_service.latest_promise(session=session, work_order_id=wo.id)
    context: dict[str, Any] = {
        **terms,
        "charges_stopped_on": stopped_on.isoformat() if stopped and stopped_on else "",
        "stop_name": (
            (stop_label.label.zh_cn if lang == "zh-CN" else stop_label.label.en)
            if stop_label
            else ""
        ),
        "customer_name": holder.name,
        "collector_name": collector_name or head["staff"],
        "bank_name": head["bank_name"],
        "caller_name": head["caller_name"],
        "bank_phone": head["bank_phone"],
        "bank_address": head["bank_address"],
        "bank_seal": head["bank_seal"],
        "rights_obligations": head["rights_obligations"],
        "debt_advice": head["debt_advice"],
        "legal_basis_en": letters.letterhead("en")["legal_basis"],
        "legal_basis_zh": letters.letterhead("zh-CN")["legal_basis"],
        "card_tail": (refs[0][-4:] if refs else ""),
        "currency": wo.currency,
        "as_of": clock.today().isoformat(),
        "dpd": dpd,
        "bucket": wo.bucket,
        "items": items,
        "total_due": total_due,
        "amount_past_due": past_due,
        "plan_options": [
            {
                "label_en": o.label_en,
                "label_zh": o.label_zh,
                "kind": o.kind,
                "instalments": o.instalments,
                "amount": f"{o.amount:f}",
            }
            for o in promise_service.options_for(
                total_due=total_due, amount_past_due=past_due, dpd=dpd, currency=wo.currency
            )
        ],
        "promise_made_on": latest.made_on.isoformat() if latest else "",
        "promise_due_on": latest.due_on.isoformat() if latest else "",
        "promise_amount": latest.amount if latest else "",
        "promise_paid": latest.paid if latest else "",
    }
    return context
