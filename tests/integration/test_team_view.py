"""The supervisor's team view (/team): the telephone calls of the day apart from the other
contacts (an SMS is a contact, not a call), blocks apart from both; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from arrears.kit.clock import clock
from tests.integration.test_web_api import csrf, sign_in
from tests.integration.test_web_case_actions import NIGHT, ctx  # noqa: F401 - fixture
from tests.web_seed import NOW, Seeded


def _contact(client: TestClient, case: int, channel: str) -> None:
    response = client.post(
        f"/cases/{case}/contact",
        data={
            "channel": channel,
            "party": "debtor",
            "outcome": "no_answer",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _cell(row: str, name: str) -> str:
    found = re.search(rf'<td class="num {name}">([^<]*)</td>', row)
    assert found, (name, row)
    return found.group(1)


def test_the_team_view_counts_calls_apart_from_other_contacts_and_blocks(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
) -> None:
    client, seeded = ctx
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    clock.freeze(NOW + timedelta(minutes=5))  # 10:05 in Shanghai: lawful
    _contact(client, case, "call")
    _contact(client, case, "sms")
    clock.freeze(NIGHT)  # 23:00 the same day: the call is blocked
    _contact(client, case, "call")

    sign_in(client, "team_lead")
    page = client.get("/team")
    assert page.status_code == 200
    row = re.search(r'<tr class="member" data-staff="S-collector">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    assert _cell(row.group(1), "phone-calls") == "1"  # the call, not the SMS
    assert _cell(row.group(1), "calls") == "2"  # contacts made: the call and the SMS
    assert _cell(row.group(1), "blocks") == "1"
    assert f'href="/cases/{case}"' in row.group(1)  # on the case of the latest contact
    assert "Calls today" in page.text
