"""The strategy file: the shipped default validates; bad files name the field and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.strategy.loader import SHIPPED, StrategyError, load_strategy, parse

DEFAULT = (SHIPPED / "default.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _errors(text: str) -> str:
    with pytest.raises(StrategyError) as info:
        parse(text, source="s.yaml")
    return info.value.message


def test_the_shipped_default_is_valid() -> None:
    loaded = load_strategy("default")
    assert loaded.strategy.rules[-1].when.model_dump(exclude_none=True) == {}
    assert {q.name for q in loaded.strategy.queues} >= {r.queue for r in loaded.strategy.rules}
    assert len(loaded.sha256) == 64


def test_comments_do_not_change_the_hash_but_content_does() -> None:
    base = parse(DEFAULT).sha256
    assert parse("# a note\n" + DEFAULT).sha256 == base
    assert parse(DEFAULT.replace("priority: 70", "priority: 71")).sha256 != base


def test_unknown_field_names_field_and_line() -> None:
    text = DEFAULT.replace("    queue: mid_call\n", "    queue: mid_call\n    colour: red\n")
    msg = _errors(text)
    assert f"s.yaml:line {_line_of(text, 'colour: red')}: rules[9].colour: unknown field" in msg


def test_unknown_queue_names_the_rule_and_line() -> None:
    text = DEFAULT.replace("    queue: mid_call\n", "    queue: mid_cal\n")
    msg = _errors(text)
    line = _line_of(text, "queue: mid_cal")
    assert f"line {line}: rules[9].queue: unknown queue 'mid_cal'" in msg


def test_overlapping_and_missing_ranges() -> None:
    text = DEFAULT.replace(
        '{name: "25_34", min: 25, max: 34}', '{name: "25_34", min: 20, max: 34}'
    ).replace("{name: medium, min: 400, max: 599}", "{name: medium, min: 450, max: 599}")
    msg = _errors(text)
    assert f"line {_line_of(text, 'min: 20, max: 34')}: age_bands[1].min: overlaps" in msg
    assert f"line {_line_of(text, 'min: 450')}: score.bands[1].min: missing range 400..449" in msg


def test_bands_must_start_at_zero_and_end_open() -> None:
    text = DEFAULT.replace("{name: low, min: 0, max: 399}", "{name: low, min: 1, max: 399}")
    text = text.replace("{name: high, min: 600, max: null}", "{name: high, min: 600, max: 900}")
    msg = _errors(text)
    assert "score.bands[0].min: missing range 0..0" in msg
    assert "score.bands[2].max: missing range above 900" in msg


def test_type_errors_and_unknown_references() -> None:
    old = "    level: advanced\n    treatments: [call, contact_person_enquiry, letter]"
    text = DEFAULT.replace(old, "    level: boss\n    treatments: [call, telepathy]")
    text = text.replace("when: {bucket: [M2]}", "when: {bucket: [M22]}")
    msg = _errors(text)
    assert f"line {_line_of(text, 'level: boss')}: rules[8].level" in msg
    assert "rules[8].treatments[1]" in msg
    # Pydantic errors stop before the whole-file checks; fix them and the bucket is reported.
    fixed = text.replace("level: boss", "level: advanced").replace("telepathy", "letter")
    assert "rules[9].when.bucket[0]: unknown bucket 'M22'" in _errors(fixed)


def test_the_last_rule_and_segment_must_catch_everyone() -> None:
    text = DEFAULT.replace("  - name: everyone-else\n    when: {}", "  - name: everyone-else\n"
                           "    when: {bucket: [M1]}")  # fmt: skip
    assert "the last rule must match every account" in _errors(text)


def test_arm_percentages_must_add_up() -> None:
    text = DEFAULT.replace(
        "rules:\n  - name: deceased",
        "experiment:\n  test: t\n  arms:\n    - {name: champion, percent: 80}\n"
        "    - {name: b, percent: 10}\n\nrules:\n  - name: deceased",
    )
    assert "experiment.arms: arm percentages add up to 90, not 100" in _errors(text)


def test_a_targeted_test_needs_a_rule_that_names_an_arm() -> None:
    text = DEFAULT.replace(
        "rules:\n  - name: deceased",
        "experiment:\n  test: t\n  arms:\n    - {name: champion, percent: 90}\n"
        "    - {name: b, percent: 10}\n\nrules:\n  - name: deceased",
    )
    assert "experiment.population: no rule names an arm" in _errors(text)
    parse(text.replace("  test: t\n", "  test: t\n  population: book\n"))


def test_load_by_path_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(DEFAULT.replace("name: default", "name: mine", 1), encoding="utf-8")
    assert load_strategy(str(path)).strategy.name == "mine"
    with pytest.raises(Exception, match="unknown strategy 'nope'"):
        load_strategy("nope")
    with pytest.raises(StrategyError, match="not valid YAML"):
        parse("rules: [\n")
