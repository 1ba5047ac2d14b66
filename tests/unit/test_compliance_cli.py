"""`arrears compliance check` over every example in docs/compliance-examples/, and bad input."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from arrears.cli.main import run

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[2] / "docs" / "compliance-examples").glob("*.json")
)


def _arrears(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def test_there_are_at_least_25_examples() -> None:
    assert len(EXAMPLES) >= 25


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_gives_its_expected_decision(example: Path) -> None:
    expected = json.loads(example.read_text(encoding="utf-8"))["expected"]
    code, out, err = _arrears("compliance", "check", str(example))
    decision = json.loads(out)
    assert code == (0 if expected["allowed"] else 1), err
    assert decision["allowed"] is expected["allowed"]
    assert sorted(decision["rules"]) == sorted(expected["rules"])
    assert len(set(decision["rules"])) == len(decision["rules"])
    assert decision["next_allowed_at"] == expected.get("next_allowed_at")
    if not decision["allowed"]:
        assert decision["reason"]


def test_profile_option_overrides_the_scenarios(tmp_path: Path) -> None:
    # Massachusetts allows 2 calls in 7 days: the first-call example becomes a 3rd-call block.
    example = json.loads((EXAMPLES[0].parent / "03-us-sliding-window.json").read_text())
    ma = tmp_path / "us-ma.yaml"
    ma.write_text("name: us-ma\nextends: us-reg-f\nfrequency: {max_calls: 2}\n")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(example))
    code, out, _ = _arrears("compliance", "check", str(path), "--profile", str(ma))
    assert code == 1
    assert json.loads(out)["rules"] == ["reg_f.call_cap"]


def _scenario(**changes: object) -> dict[str, object]:
    base = json.loads((EXAMPLES[0].parent / "01-us-first-call.json").read_text())
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda s: s["person"]["phones"][0].update(number="212-555-0100"),
            "person.phones[0].number",
        ),
        (lambda s: s["proposed"].update(channel="fax"), "proposed.channel"),
        (lambda s: s["proposed"].pop("at"), "proposed.at"),
        (lambda s: s["proposed"].update(at="2026-04-07T10:00:00"), "proposed.at"),
        (lambda s: s["person"].update(flags=["cease_and_desist"]), "person.flags"),
        (lambda s: s["person"].update(time_zones=["Mars/Olympus"]), "person.time_zones"),
        (
            lambda s: s.update(
                history=[
                    {
                        "at": "2026-04-06T10:00:00Z",
                        "channel": "call",
                        "person": "P1",
                        "outcome": "hung_up",
                    }
                ]
            ),
            "history[0].outcome",
        ),
        (lambda s: s["proposed"].update(person="P2"), "proposed.person"),
        (lambda s: s.update(colector="bank"), "colector"),
        (lambda s: s.update(profile="atlantis"), "profile"),
    ],
)
def test_malformed_scenario_exits_2_naming_the_field(
    tmp_path: Path, mutate: object, field: str
) -> None:
    scenario = _scenario()
    mutate(scenario)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario))
    code, out, err = _arrears("compliance", "check", str(path))
    assert code == 2
    assert out == ""
    assert field in " ".join(err.split()), err
    assert "Traceback" not in err


def test_not_json_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "person": {"id": "P1"},\n  "proposed": \n}\n')
    code, _, err = _arrears("compliance", "check", str(path))
    assert code == 2
    assert "line 4" in err


def test_profiles_and_show() -> None:
    code, out, _ = _arrears("compliance", "profiles", "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)] == ["cn-card", "uk-conc", "us-reg-f"]
    code, out, _ = _arrears("compliance", "show", "cn-card", "--json")
    shown = json.loads(out)
    assert shown["daily_cap"]["max_contacts"] == 3
    assert "arrest" in shown["content"]["categories"]
    code, _, err = _arrears("compliance", "show", "atlantis")
    assert code != 0
    assert "no compliance profile 'atlantis'" in " ".join(err.split())
