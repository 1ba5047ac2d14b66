"""One reader for every YAML policy and profile: shipped by name, or a path; one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from arrears.kit import config_file
from arrears.kit.errors import BadInput


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cap: int = 3


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "default.yaml").write_text("cap: 5\n", encoding="utf-8")
    (folder / "strict.yaml").write_text("cap: 1\n", encoding="utf-8")
    return folder


def test_a_name_loads_the_shipped_file_and_a_path_loads_that_file(
    shipped: Path, tmp_path: Path
) -> None:
    assert config_file.load(Limits, shipped, "strict", "limits").cap == 1
    own = tmp_path / "own.yaml"
    own.write_text("cap: 9\n", encoding="utf-8")
    assert config_file.load(Limits, shipped, str(own), "limits").cap == 9


def test_an_empty_file_takes_the_defaults(shipped: Path) -> None:
    (shipped / "empty.yaml").write_text("", encoding="utf-8")
    assert config_file.load(Limits, shipped, "empty", "limits").cap == 3


def test_an_unknown_name_lists_what_is_shipped(shipped: Path) -> None:
    with pytest.raises(BadInput, match=r"no limits named 'loose' \(shipped: default, strict\)"):
        config_file.load(Limits, shipped, "loose", "limits")


def test_a_missing_path_is_one_line(shipped: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="limits: no file"):
        config_file.load(Limits, shipped, str(tmp_path / "gone.yaml"), "limits")


def test_bad_yaml_names_the_line_and_a_bad_field_names_the_field(shipped: Path) -> None:
    (shipped / "broken.yaml").write_text("cap: 1\nother: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"limits broken\.yaml line \d+: not valid YAML"):
        config_file.load(Limits, shipped, "broken", "limits")
    (shipped / "typo.yaml").write_text("cpa: 1\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"limits typo\.yaml: cpa: Extra inputs"):
        config_file.load(Limits, shipped, "typo", "limits")
    (shipped / "wrong.yaml").write_text("cap: many\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"limits wrong\.yaml: cap: "):
        config_file.load(Limits, shipped, "wrong", "limits")
