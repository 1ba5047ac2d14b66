"""Loading the workforce's YAML (allocation rules, training gates, promotion criteria, pay plans).

Each file is validated by its pydantic model with ``extra="forbid"``; errors name the field.
A name loads the file shipped in the package, anything with a slash or ``.yaml`` is a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from arrears.kit.errors import BadInput
from arrears.workforce.allocation import AllocationRules
from arrears.workforce.compensation import PayPlan
from arrears.workforce.promotion import PromotionPolicy
from arrears.workforce.training import TrainingPolicy

HERE = Path(__file__).parent
M = TypeVar("M", bound=BaseModel)


def resolve(folder: str, name_or_path: str) -> Path:
    """The shipped ``folder/<name>.yaml`` or the given path."""
    if "/" in name_or_path or name_or_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
    else:
        path = HERE / folder / f"{name_or_path}.yaml"
    if not path.exists():
        shipped = sorted(p.stem for p in (HERE / folder).glob("*.yaml"))
        raise BadInput(f"no {folder} file {name_or_path!r} (shipped: {', '.join(shipped)})")
    return path


def load(model: type[M], folder: str, name_or_path: str) -> M:
    """Read and validate one YAML file; a bad file raises ``BadInput`` naming the field."""
    path = resolve(folder, name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path.name}{where}: not valid YAML ({exc})") from None
    return parse(model, raw, source=path.name)


def parse(model: type[M], raw: object, *, source: str = "config") -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadInput(f"{source}: {field}: {first['msg']}", detail=exc.errors()) from None


# --- the workforce's shipped files, by name or path ----------------------------------------------


def allocation_rules(name: str = "allocation") -> AllocationRules:
    return load(AllocationRules, "policies", name)


def training_policy(name: str = "training") -> TrainingPolicy:
    return load(TrainingPolicy, "policies", name)


def promotion_policy(name: str = "promotion") -> PromotionPolicy:
    return load(PromotionPolicy, "policies", name)


def pay_plan(name: str = "default") -> PayPlan:
    return load(PayPlan, "plans", name)
