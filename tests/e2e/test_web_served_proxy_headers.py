"""The sign-in throttle as `arrears serve` runs it (Uvicorn over TCP on 127.0.0.1): a rotating
X-Forwarded-For from a peer that is not a trusted proxy changes nothing. Uvicorn's own
proxy-header rewrite trusted any local peer and let each guess look like a new client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.models import UserSession
from arrears.auth.security_policy import load_security_policy
from arrears.cli.serve import UVICORN_OPTIONS
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from tests import serving
from tests.web_seed import NOW, PASSWORD

pytestmark = [pytest.mark.slow]


@pytest.fixture
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    # `arrears serve`'s own options: what the test checks is how the served app behaves.
    with serving.seeded_workbench(
        sqlite_template, tmp_path, at=NOW, customers=1, **UVICORN_OPTIONS
    ) as (base, url, _):
        yield base, url


def _form_token(client: httpx.Client) -> str:
    page = client.get("/sign-in").text
    found = re.search(r'<meta name="csrf-token" content="([^"]*)">', page)
    assert found is not None
    return found.group(1)


def test_rotating_forwarded_for_from_a_local_peer_is_still_throttled(
    served: tuple[str, str],
) -> None:
    base, url = served
    per_address = load_security_policy("default").sign_in.failures_per_address
    with httpx.Client(base_url=base) as client:
        token = _form_token(client)
        # Spraying usernames, each guess claiming another address: all come from one peer.
        for n in range(per_address):
            guess = client.post(
                "/sign-in",
                data={"username": f"guess{n}", "password": "wrong-guess", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            assert guess.status_code == 401
        refused = client.post(
            "/sign-in",
            data={"username": "collector", "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.99"},
        )
        assert refused.status_code == 429
    clock.freeze(NOW + timedelta(minutes=16))  # the window passes
    with httpx.Client(base_url=base) as client:
        signed = client.post(
            "/sign-in",
            data={"username": "analyst", "password": PASSWORD, "csrf_token": _form_token(client)},
            headers={"X-Forwarded-For": "198.51.100.98"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ips = session.scalars(select(UserSession.ip)).all()
    finally:
        engine.dispose()
    assert ips == ["127.0.0.1"]  # the peer, not what the header claimed
