"""The sandbox checkout in a real browser (Playwright driving Debian's Chromium) at the portal's
390x844 viewport, in English and Chinese: axe-core finds no serious or critical violation, the
Chinese page leaves no English, and Pay / Decline return the customer with the payment posted
or failed. Screenshots under artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.db import make_engine
from arrears.payments import service
from arrears.payments.models import PaymentIntent
from arrears.portfolio.models import Payment
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.e2e.test_web_browser import _shot
from tests.serving import seeded_workbench
from tests.web_seed import NOW, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RETURN = "/sign-in"  # a page of this server (the portal's own return page is on its branch)


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        locale="en",
        payments_provider="sandbox",
        payments_secret="e2e-secret",
        secret_key="e2e-key-" + "k" * 40,
    )


@pytest.fixture(scope="module")
def server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Seeded]]:
    with seeded_workbench(
        sqlite_template, tmp_path_factory.mktemp("payments-browser"), at=NOW, settings=_settings
    ) as served:
        yield served


def _checkout(url: str, seeded: Seeded, amount: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            made = service.start_payment(
                session,
                cardholder_id=seeded.cardholders[0],
                account_id=seeded.accounts[0],
                amount=amount,
                return_url=RETURN,
                settings=_settings(url),
            )
            session.commit()
            return made.redirect_url
    finally:
        engine.dispose()


def _state(url: str, redirect: str) -> tuple[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            intent = session.scalars(
                sa.select(PaymentIntent).where(PaymentIntent.redirect_url == redirect)
            ).one()
            posted = session.scalar(
                sa.select(sa.func.count())
                .select_from(Payment)
                .where(Payment.reference == f"portal:{intent.public_id}")
            )
            return intent.status, posted or 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("locale", "button", "status", "posted"),
    [("en-US", "#sandbox-pay", "succeeded", 1), ("zh-CN", "#sandbox-decline", "failed", 0)],
)
def test_the_sandbox_checkout_on_a_phone(
    server: tuple[str, str, Seeded],
    browser: object,
    locale: str,
    button: str,
    status: str,
    posted: int,
) -> None:
    base, url, seeded = server
    redirect = _checkout(url, seeded, "123.45")
    # bypass_csp: axe is injected as an inline script, which the app's CSP refuses.
    context = browser.new_context(  # type: ignore[attr-defined]
        locale=locale, viewport={"width": 390, "height": 844}, bypass_csp=True
    )
    page = context.new_page()
    page.goto(base + redirect)
    assert "123.45" in page.locator("#sandbox-amount").inner_text()
    assert serious_violations(page) == []
    if locale == "zh-CN":
        assert "沙箱收银台" in page.content()
        assert untranslated(readable_text(page), allow=set()) == []
    _shot(page, f"payments_sandbox_{locale}")
    page.click(button)
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{base}{RETURN}?intent=")
    assert _state(url, redirect) == (status, posted)
    page.goto(base + redirect)
    assert page.locator("#sandbox-pay").count() == 0  # settled: nothing left to press
    assert serious_violations(page) == []
    context.close()
