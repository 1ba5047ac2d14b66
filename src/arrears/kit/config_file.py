"""Reading a YAML configuration file (a policy, a profile, a roster) into its pydantic model.

A bare name loads the file shipped in a package folder; anything with a slash or a ``.yaml``
suffix is a path. Every failure is one ``BadInput`` line naming the file and the field, so a
user who edits a policy never sees a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from arrears.kit.errors import BadInput
from arrears.kit.textfile import read_utf8

M = TypeVar("M", bound=BaseModel)


def resolve(folder: Path, name_or_path: str, what: str) -> Path:
    """The shipped ``folder/<name>.yaml`` or the given path; ``what`` names the kind in errors."""
    if "/" in name_or_path or name_or_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
        if not path.is_file():
            raise BadInput(f"{what}: no file {name_or_path}")
        return path
    path = folder / f"{name_or_path}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
        raise BadInput(f"no {what} named {name_or_path!r} (shipped: {shipped})")
    return path


def read(path: Path, what: str) -> object:
    """The YAML document in ``path``; a syntax error names the line."""
    try:
        return yaml.safe_load(read_utf8(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{what} {path.name}{where}: not valid YAML") from None


def parse(model: type[M], raw: object, *, source: str = "config") -> M:
    """Validate ``raw`` as ``model``; the first error names its field."""
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadInput(f"{source}: {field}: {first['msg']}", detail=exc.errors()) from None


def load(model: type[M], folder: Path, name_or_path: str, what: str) -> M:
    """Resolve, read and validate one file."""
    path = resolve(folder, name_or_path, what)
    return parse(model, read(path, what), source=f"{what} {path.name}")
