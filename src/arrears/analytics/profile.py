"""The model profile: YAML shipped in ``analytics/profiles/``, validated by pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arrears.kit.errors import BadInput

PROFILES = Path(__file__).parent / "profiles"


class ModelProfile(BaseModel):
    """Hyper-parameters and the split; ``grid`` holds the candidates ``--tune`` compares."""

    model_config = ConfigDict(extra="forbid")

    name: str
    target: str = "defaulted"
    holdout: float = Field(0.3, gt=0, lt=1)
    seed: int = 7
    n_jobs: int = Field(2, ge=1, le=2)
    cv_folds: int = Field(3, ge=2, le=10)
    params: dict[str, float | int | str] = Field(default_factory=dict)
    grid: list[dict[str, float | int | str]] = Field(default_factory=list)


def load_model_profile(name_or_path: str = "propensity") -> ModelProfile:
    """A shipped profile by name, or a YAML file by path; errors name the field."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILES / f"{name_or_path}.yaml"
    if not path.is_file():
        raise BadInput(f"model profile not found: {name_or_path}")
    try:
        loaded: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not valid YAML: {exc}") from exc
    try:
        return ModelProfile.model_validate(loaded)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{path}: {field}: {first['msg']}") from exc
