"""Load a strategy file by name or path; every error names the field and the YAML line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from arrears.delinquency.buckets import DEFAULT_BUCKETS
from arrears.kit.errors import BadInput
from arrears.kit.textfile import read_utf8
from arrears.strategy.schema import Loc, Strategy, semantic_errors

SHIPPED = Path(__file__).parent / "strategies"


class StrategyError(BadInput):
    """The strategy file is invalid; ``detail`` lists every problem with its field and line."""


@dataclass(frozen=True)
class LoadedStrategy:
    strategy: Strategy
    source: str
    sha256: str  # of the validated content: comments and layout do not change it


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    """Python data from a composed YAML node, recording the 1-based line of every location."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _line(loc: Loc, lines: dict[Loc, int]) -> int | None:
    # Pydantic puts union member names into locations; keep only what is in the file.
    path = tuple(p for p in loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _field(loc: Loc) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(file)"


def _clean(loc: tuple[Any, ...], lines: dict[Loc, int]) -> Loc:
    """Drop the union-member names pydantic inserts (they are not keys of the file)."""
    out: list[str | int] = []
    for p in loc:
        candidate = (*out, p)
        if candidate in lines or isinstance(p, int) or not out or (*out,) not in lines:
            out.append(p)
    return tuple(out)


def resolve(name_or_path: str) -> Path:
    """A shipped strategy by name (``default``) or a file path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise BadInput(f"strategy file not found: {path}")
        return path
    shipped = SHIPPED / f"{name_or_path}.yaml"
    if not shipped.exists():
        names = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.yaml")))
        raise BadInput(f"unknown strategy {name_or_path!r} (shipped: {names})")
    return shipped


def parse(text: str, *, source: str = "<string>") -> LoadedStrategy:
    """Validate strategy YAML text; raise ``StrategyError`` listing each problem and its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise StrategyError(f"{source}: not valid YAML: {exc}") from exc
    if node is None:
        raise StrategyError(f"{source}: the file is empty")
    lines: dict[Loc, int] = {}
    data = _build(node, (), lines)
    problems: list[tuple[Loc, str]] = []
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _clean(tuple(err["loc"]), lines)
            msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append((loc, msg))
        strategy = None
    if strategy is not None:
        problems = semantic_errors(strategy, DEFAULT_BUCKETS.names)
    if problems:
        rendered = []
        for loc, msg in problems:
            line = _line(loc, lines)
            where = f"line {line}" if line else "line ?"
            rendered.append(f"{source}:{where}: {_field(loc)}: {msg}")
        raise StrategyError("invalid strategy\n" + "\n".join(rendered), detail=rendered)
    assert strategy is not None
    digest = hashlib.sha256(strategy.model_dump_json().encode()).hexdigest()
    return LoadedStrategy(strategy=strategy, source=source, sha256=digest)


def load_strategy(name_or_path: str = "default") -> LoadedStrategy:
    """Load and validate a strategy by shipped name or path."""
    path = resolve(name_or_path)
    return parse(read_utf8(path), source=str(path))
