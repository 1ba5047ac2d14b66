"""Compliance reasons over HTTP in the client's language (Accept-Language), rule ids kept."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.compliance.models import ComplianceCheck
from arrears.kit.clock import clock
from tests.integration.test_cases_api import _as
from tests.integration.test_cases_api import api as api  # noqa: F401 - the fixture
from tests.integration.test_compliance_api import EXAMPLES

HAN = re.compile(r"[\u4e00-\u9fff]")
NIGHT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def test_a_scenario_is_explained_in_the_language_the_client_asks_for(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811
) -> None:
    client, tokens, _ = api
    scenario = json.loads((EXAMPLES / "31-cn-threat.json").read_text(encoding="utf-8"))
    url = "/api/v1/compliance/check"
    h = _as(tokens, "collector")
    zh = client.post(url, json=scenario, headers={**h, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200, zh.text
    body = zh.json()
    assert body["rules"] == ["content.arrest", "content.third_party_threat", "content.shaming"]
    assert [r["rule"] for r in body["reasons"]] == body["rules"]
    assert "以拘留、坐牢" in body["reason"]
    assert "threatens" not in body["reason"]
    en = client.post(url, json=scenario, headers={**h, "Accept-Language": "en-GB"}).json()
    assert en["reason"].startswith("threatens arrest")
    # No header: the token's user's own language (en here).
    assert client.post(url, json=scenario, headers=h).json()["reason"] == en["reason"]


def test_a_blocked_contact_reads_in_chinese_and_keeps_its_rule_in_the_payload(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811
    session: Session,
) -> None:
    client, tokens, wo_id = api
    zh = {**_as(tokens, "collector"), "Accept-Language": "zh-CN"}
    with clock.frozen(NIGHT):
        blocked = client.post(
            f"/api/v1/cases/{wo_id}/contacts",
            headers=zh,
            json={"channel": "call", "outcome": "no_answer"},
        )
    assert blocked.status_code == 201, blocked.text
    compliance = blocked.json()["compliance"]
    assert compliance["rules"] == ["time_window"]
    assert compliance["reasons"][0]["rule"] == "time_window"
    assert "22:30不在Asia/Shanghai的允许联系时段内" in compliance["reason"]
    # The same stored attempt, read by an English client, and the record of the check.
    listed = client.get(f"/api/v1/cases/{wo_id}/contacts", headers=_as(tokens, "collector")).json()
    assert "outside the convenient hours" in listed[0]["compliance"]["reason"]
    case = client.get(f"/api/v1/cases/{wo_id}", headers=zh).json()
    assert HAN.search(case["contacts"][0]["compliance"]["reason"])
    check = session.get(ComplianceCheck, compliance["check_id"])
    assert check is not None
    assert check.reasons == [
        {
            "rule": "time_window",
            "params": {"weekday": "Mon", "time": "22:30", "zones": ["Asia/Shanghai"]},
        }
    ]


def test_refusals_read_in_chinese_with_their_rule_in_the_detail(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811
) -> None:
    client, tokens, wo_id = api
    zh = {**_as(tokens, "collector"), "Accept-Language": "zh-CN"}
    url = f"/api/v1/cases/{wo_id}/contacts"
    overriding = client.post(
        url, headers=zh, json={"channel": "call", "outcome": "no_answer", "override_reason": "x"}
    )
    assert overriding.status_code == 403
    assert overriding.json()["message"] == "只有合规专员可以放行被合规拦截的操作"
    assert overriding.json()["detail"]["rule"] == "override.role"
    with clock.frozen(NIGHT):
        late = client.post(
            url,
            headers=zh,
            json={
                "channel": "visit",
                "outcome": "no_answer",
                "made_at": "2026-02-27T10:00:00+08:00",
            },
        )
    assert late.status_code == 409, late.text
    assert late.json()["message"].startswith("补录时间：联系须在发生后24小时内补录")
    assert late.json()["detail"]["rule"] == "late_entry.window"
