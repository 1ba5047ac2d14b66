"""The model profile: YAML shipped in ``analytics/profiles/``, validated by pydantic."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from arrears.kit import config_file

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
    return config_file.load(ModelProfile, PROFILES, name_or_path, "model profile")
