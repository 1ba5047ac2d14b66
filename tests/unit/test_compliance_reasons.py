"""Compliance reasons as templates per rule id, in English and Chinese (reasons.yaml)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
import yaml

from arrears.compliance.content_rules import content_rules
from arrears.compliance.engine import decide
from arrears.compliance.reasons import (
    REASONS_FILE,
    Catalogue,
    Reason,
    catalogue,
    explain,
    in_locale,
    render,
)
from arrears.contacts.late_entry import LATE_ENTRY_RULE
from arrears.contacts.step_by_step import CONTACT_PERSON_PURPOSE, STEP_BY_STEP
from arrears.kit.errors import BadInput
from arrears.vocabulary import CHANNELS
from tests.unit.compliance_helpers import CN, ny, person, proposal
from tests.unit.test_compliance_properties import KNOWN

# Every rule id the engine and the workflow can record.
RULE_IDS = sorted(
    KNOWN
    | {f"opt_out.{c}" for c in CHANNELS}
    | {c.rule for c in content_rules().categories.values()}
    | {STEP_BY_STEP, CONTACT_PERSON_PURPOSE, LATE_ENTRY_RULE}
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _params(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_template_has_both_locales_with_the_same_parameters() -> None:
    raw = yaml.safe_load(REASONS_FILE.read_text(encoding="utf-8"))["templates"]
    for key, texts in raw.items():
        assert set(texts) == {"en", "zh-CN"}, key
        assert _params(texts["en"]) == _params(texts["zh-CN"]), key
        assert HAN.search(texts["zh-CN"]), f"{key}: the Chinese template is not Chinese"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_every_rule_id_has_a_template(rule: str) -> None:
    assert catalogue().template(Reason(rule=rule), "zh-CN") is not None, rule
    assert catalogue().template(Reason(rule=rule), "en") is not None, rule


def test_a_catalogue_missing_a_locale_or_with_other_parameters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no zh-CN text"):
        Catalogue.model_validate({"templates": {"x": {"en": "a"}}})
    with pytest.raises(ValueError, match="different parameters"):
        Catalogue.model_validate({"templates": {"x": {"en": "{a}", "zh-CN": "{b}"}}})
    broken = tmp_path / "reasons.yaml"
    broken.write_text("templates: {x: {en: '{a}', zh-CN: '{b}'}}\n", encoding="utf-8")
    with pytest.raises(BadInput, match="reasons reasons.yaml"):
        catalogue(str(broken))


def test_reasons_render_with_their_vocabulary_in_chinese() -> None:
    opt = Reason(rule="opt_out.sms", params={"channel": "sms"})
    assert render(opt) == "the person asked not to be contacted by sms"
    assert render(opt, "zh-CN") == "该客户已要求不通过短信联系"
    cap = Reason(rule="reg_f.call_cap", params={"max_calls": 7, "window_days": 7, "debts": []})
    assert render(cap) == "7 calls in 7 days already placed about the debt"
    assert render(cap, "zh-CN") == "7天内已就该笔欠款拨打7次电话"
    purpose = Reason(
        rule="third_party.purpose",
        params={"relation": "parent", "purposes": ["call_back_request", "location"]},
    )
    assert "call back request or location" in render(purpose)
    assert render(purpose, "zh-CN").startswith("联系父母只能用于请其回电或核实联系方式或地址")
    assert explain([opt, cap], "zh-CN").count("；") == 1


def test_a_real_decision_reads_in_chinese_and_keeps_its_rule_ids() -> None:
    decision = decide(
        profile=CN,
        person=person("C1", time_zones=["Asia/Shanghai"]),
        proposed=proposal(ny(7, 10), pid="C1", content="再不还钱就让你坐牢"),  # 22:00 in Shanghai
    )
    assert set(decision.rules) == {"time_window", "content.arrest"}
    zh = in_locale(decision, "zh-CN")
    assert zh.rules == decision.rules
    assert [r.rule for r in zh.reasons] == [r.rule for r in decision.reasons]
    assert "不在" in zh.reason
    assert "坐牢" in zh.reason
    # No English sentence is left: only digits, times, zone names and the quoted phrase.
    assert not re.search(r"\b(?:the|is|local|hours|threatens)\b", zh.reason), zh.reason


def test_an_unknown_locale_reads_english_and_an_old_reason_its_rule() -> None:
    assert render(Reason(rule="hold.cease"), "fr").startswith("the person asked us to cease")
    assert render(Reason(rule="reg_f.call_cap", params={}), "en") == "reg_f.call_cap"


def test_the_cli_writes_the_reason_in_the_locale_asked_for() -> None:
    from tests.unit.test_compliance_cli import EXAMPLES, _arrears

    example = str(next(p for p in EXAMPLES if p.name == "31-cn-threat.json"))
    code, out, _ = _arrears("compliance", "check", example, "--locale", "zh-CN")
    assert code == 1
    decision = json.loads(out)
    assert "以拘留、坐牢" in decision["reason"]
    assert "threatens" not in decision["reason"]
    assert [r["rule"] for r in decision["reasons"]] == decision["rules"]
    code, out, _ = _arrears("compliance", "check", example, "--locale", "en", "--no-json")
    assert code == 1
    assert "threatens arrest" in out
    code, out, err = _arrears("compliance", "check", example, "--locale", "fr")
    assert code == 2
    assert out == ""
    assert "--locale must be one of en, zh-CN" in err


def test_a_refused_script_is_explained_in_the_readers_language() -> None:
    from arrears.compliance.content import check_content
    from arrears.compliance.reasons import message_in

    findings = check_content("你这个老赖", profile=CN)
    error = BadInput("script x fails", detail=[f.model_dump() for f in findings])
    assert message_in(error, "zh-CN") == "侮辱或贬低客户：“老赖”"
    assert message_in(error, "en") == "insults or degrades the person: '老赖'"
    assert message_in(BadInput("plain"), "zh-CN") == "plain"
