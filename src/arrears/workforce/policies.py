"""Loading the workforce's YAML (allocation rules, training gates, promotion criteria, pay plans).

Each file is validated by its pydantic model with ``extra="forbid"``; errors name the field.
A name loads the file shipped in the package, anything with a slash or ``.yaml`` is a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from arrears.kit import config_file
from arrears.workforce.allocation import AllocationRules
from arrears.workforce.compensation import PayPlan
from arrears.workforce.promotion import PromotionPolicy
from arrears.workforce.training import TrainingPolicy

HERE = Path(__file__).parent
M = TypeVar("M", bound=BaseModel)


def load(model: type[M], folder: str, name_or_path: str) -> M:
    """Read and validate one shipped or given YAML file; errors name the field."""
    return config_file.load(model, HERE / folder, name_or_path, f"{folder} file")


# --- the workforce's shipped files, by name or path ----------------------------------------------


def allocation_rules(name: str = "allocation") -> AllocationRules:
    return load(AllocationRules, "policies", name)


def training_policy(name: str = "training") -> TrainingPolicy:
    return load(TrainingPolicy, "policies", name)


def promotion_policy(name: str = "promotion") -> PromotionPolicy:
    return load(PromotionPolicy, "policies", name)


def pay_plan(name: str = "default") -> PayPlan:
    return load(PayPlan, "plans", name)
