"""Printed letters for cases: a letter built from the store (the case, its cardholder's name,
address and language, each account's owed breakdown), checked by compliance with its full text
and fields (holds, opt-outs, content, required fields), and rendered as PDF; and the batch for
the print house (one PDF per letter, ``manifest.csv``, the refused ones in ``refused.csv``).

Reads only: nothing is written to the store. What is sent is the outbound pipeline's to record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.compliance.profile import load_profile
from arrears.compliance.reasons import Reason, dumped, explain, render
from arrears.compliance.schemas import Decision
from arrears.config import get_settings
from arrears.contacts import letters
from arrears.contacts import service as contact_service
from arrears.contacts.letters import notice, pdf, transport
from arrears.kit.clock import center_today, clock
from arrears.kit.dates import not_after_today
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder
from arrears.vocabulary import LOCALES

MANIFEST = transport.MANIFEST
REFUSED = "refused.csv"
# The batch writes to cases whose treatments include a letter (the strategy decides who).
LETTER_TREATMENT = "letter"
ADDRESS_RULE = "letter.address_missing"


@dataclass(frozen=True)
class CheckedLetter:
    letter: notice.Letter
    html: str
    decision: Decision


def _locale(holder: Cardholder, locale: str | None) -> str:
    """The debtor's language unless ``locale`` overrides; else the deployment's."""
    if locale is not None:
        if locale not in LOCALES:
            raise BadInput(f"--locale must be one of {', '.join(LOCALES)}, got {locale!r}")
        return locale
    return holder.language if holder.language in LOCALES else get_settings().locale


def default_kind() -> str:
    """The deployment's jurisdiction profile names the kind of letter it sends."""
    name = contact_service.profile().name
    if name not in notice.KINDS:
        raise BadInput(f"profile {name!r} has no letter kind; give --kind ({notice.KINDS})")
    return name


def compose(
    *,
    session: Session,
    wo: WorkOrder,
    holder: Cardholder,
    kind: str,
    locale: str | None,
    as_of: date,
) -> tuple[notice.Letter, str]:
    """The case's letter on ``as_of`` and its HTML page (amounts from the store, never the
    caller)."""
    notice.check_kind(kind)
    lang = _locale(holder, locale)
    ledger = case_service.ledger(session=session, work_order_id=wo.id, as_of=as_of)
    held = [a for _, a in ledger.accounts if a is not None]
    latest: dict[int, date] = {}
    for s in portfolio_repository.statements_of(session, [a.id for a in held]):
        if s.cycle_date <= as_of:
            latest[s.account_id] = max(s.cycle_date, latest.get(s.account_id, s.cycle_date))
    cycle_of = {a.external_ref: latest.get(a.id) for a in held}
    letter = notice.build(
        kind=kind,
        locale=lang,
        case_id=wo.id,
        letter_date=as_of,
        customer_name=holder.name,
        address=holder.address,
        accounts=[
            notice.itemization(
                account_ref=part.account_ref,
                breakdown=part.breakdown,
                latest_cycle=cycle_of.get(part.account_ref),
                lang=lang,
            )
            for part in ledger.breakdowns
        ],
        letterhead=letters.letterhead(lang),
    )
    return letter, pdf.render_html(letter)


def check_letter(
    *,
    session: Session,
    wo: WorkOrder,
    holder: Cardholder,
    kind: str,
    locale: str | None,
    as_of: date,
) -> CheckedLetter:
    """The case's letter on ``as_of``, rendered as HTML and decided by compliance."""
    letter, page = compose(
        session=session, wo=wo, holder=holder, kind=kind, locale=locale, as_of=as_of
    )
    decision = contact_service.letter_decision(
        session=session,
        work_order=wo,
        holder=holder,
        at=clock.now(),
        debts=[a.account_ref for a in letter.accounts],
        content=pdf.plain_text(page),
        fields=pdf.letter_fields(letter),
        profile=load_profile(kind),
    )
    return CheckedLetter(letter, page, decision)


def contact_letter(
    *, session: Session, wo: WorkOrder, holder: Cardholder
) -> tuple[str, dict[str, str]]:
    """A letter logged as a contact: its text and fields, built by the server from today's
    letter of the deployment's kind (a caller's fields never stand in for the store's)."""
    letter, page = compose(
        session=session, wo=wo, holder=holder, kind=default_kind(), locale=None,
        as_of=center_today(),
    )  # fmt: skip
    return pdf.plain_text(page), pdf.letter_fields(letter)


def _case(session: Session, work_order_id: int) -> tuple[WorkOrder, Cardholder]:
    wo = case_repository.work_order(session, work_order_id)
    if wo is None:
        raise NotFound(f"no case {work_order_id}")
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no cardholder")
    return wo, holder


def render_case(
    *, session: Session, work_order_id: int, kind: str, locale: str | None, out: Path
) -> CheckedLetter:
    """One case's letter as of today, to ``out`` (a .pdf in an existing folder); refused,
    with nothing written, when compliance blocks it."""
    notice.check_kind(kind)
    if out.suffix.lower() != ".pdf":
        raise BadInput(f"--out: a .pdf file, got {str(out)!r}")
    if not out.parent.is_dir():
        raise BadInput(f"--out: no folder {str(out.parent)!r}")
    wo, holder = _case(session, work_order_id)
    checked = check_letter(
        session=session, wo=wo, holder=holder, kind=kind, locale=locale, as_of=center_today()
    )
    if not checked.decision.allowed:
        raise refusal(wo.id, checked.decision)
    document, _ = pdf.render_pdf(checked.html)
    transport.write_whole(out, document)
    return checked


def refusal(case_id: int, decision: Decision) -> RuleRefused:
    """Compliance refuses a case's letter: the English sentence, and in ``detail`` its rule id
    and values (``letter.refused`` wrapping the rules' own reasons), said in each reader's
    language where it is read."""
    reason = Reason(
        rule="letter.refused",
        params={"case": case_id, "rules": decision.rules, "reasons": dumped(decision.reasons)},
    )
    return RuleRefused(render(reason), detail=reason.model_dump(mode="json"))


@dataclass
class BatchResult:
    as_of: date
    kind: str
    out: Path
    printed: list[dict[str, object]] = field(default_factory=list)
    refused: list[dict[str, object]] = field(default_factory=list)


def batch(
    *,
    session: Session,
    as_of: date,
    out: Path,
    kind: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    locale: str = "en",
) -> BatchResult:
    """Every live case whose treatments include a letter: one PDF per letter compliance
    allows, ``manifest.csv`` listing them for the print house, ``refused.csv`` the rest with
    the rule and its reason in ``locale`` (the reader's: the one who runs the batch).
    Rerunning for the same day rewrites the same files."""
    not_after_today(as_of, "--as-of")
    kind = notice.check_kind(kind) if kind else default_kind()
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out: {str(out)!r} is a file, not a folder")
    cases = [
        wo
        for wo in case_repository.live_work_orders(session)
        if LETTER_TREATMENT in (wo.treatments or [])
    ]
    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult(as_of=as_of, kind=kind, out=out)
    for n, wo in enumerate(cases, 1):
        holder = portfolio_repository.cardholder(session, wo.cardholder_id)
        if holder is None or not (holder.address or "").strip():
            result.refused.append(
                {
                    "case_id": wo.id,
                    "rules": ADDRESS_RULE,
                    "reason": render(Reason(rule=ADDRESS_RULE), locale),
                }
            )
        else:
            checked = check_letter(
                session=session, wo=wo, holder=holder, kind=kind, locale=None, as_of=as_of
            )
            if checked.decision.allowed:
                result.printed.append(_print(checked, out))
            else:
                result.refused.append(
                    {
                        "case_id": wo.id,
                        "rules": " ".join(checked.decision.rules),
                        "reason": explain(checked.decision.reasons, locale)
                        or checked.decision.reason,
                    }
                )
        if on_progress is not None:
            on_progress(n, len(cases))
    transport.write_rows(out / MANIFEST, transport.MANIFEST_COLUMNS, result.printed)
    transport.write_rows(out / REFUSED, ("case_id", "rules", "reason"), result.refused)
    return result


def _print(checked: CheckedLetter, out: Path) -> dict[str, object]:
    letter = checked.letter
    document, pages = pdf.render_pdf(checked.html)
    name = f"{letter.reference}.pdf"
    transport.write_whole(out / name, document)
    currency = letter.currency
    return {
        "file": name,
        "reference": letter.reference,
        "case_id": letter.case_id,
        "kind": letter.kind,
        "locale": letter.locale,
        "recipient": letter.customer_name,
        "address": letter.address,
        "currency": currency,
        "total_due": letter.total() if currency != "mixed" else notice.amounts_text(letter),
        "pages": pages,
        "sha256": hashlib.sha256(document).hexdigest(),
    }
