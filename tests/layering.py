"""The package graph of ``src/arrears``, read from the code's own imports (ast), and the house
layering rules it must keep. ``python -m tests.layering`` prints the Mermaid diagram that
docs/architecture.md embeds (a test checks the committed copy is current);
``python -m tests.layering --update docs/architecture.md`` rewrites it there.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "arrears"

# Every package may use these; the diagram leaves their arrows out.
BASE = frozenset({"kit", "config", "vocabulary"})
# Above every domain: the entry points, the flows, the department's digital twin.
TOP = frozenset({"web", "cli"})
FLOWS = frozenset({"workbench", "simulation"})
# Modules of pure rules: plain Python on plain data, no database, web framework or query engine.
PURE = (
    "delinquency/aging.py",
    "delinquency/buckets.py",
    "delinquency/fees.py",
    "delinquency/breakdown.py",
    "analytics/agencies.py",
    "delinquency/chargeoff.py",
    "cases/states.py",
    "cases/three_stops.py",
    "legal/stages.py",
    "contacts/step_by_step.py",
    "contacts/compliance_question.py",
    "portal/preferences.py",
    "contacts/courtesy.py",
    "contacts/letters/notice.py",
    "channels/states.py",
    "channels/transports.py",
    "compliance/engine.py",
    "promises/reconcile.py",
    "promises/plans.py",
    "workforce/allocation.py",
    "workforce/allocation_pass.py",
    "workforce/allocation_tables.py",
    "workforce/commission.py",
    "workforce/compensation.py",
    "workforce/promotion.py",
    "workforce/training.py",
    "vocabulary.py",
)
IMPURE_LIBRARIES = ("sqlalchemy", "fastapi", "starlette", "ibis", "duckdb", "pyspark")


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth (function-level and TYPE_CHECKING too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if _package(p) not in ("migrations", "__init__"))


def package_graph() -> dict[str, set[str]]:
    """package -> the other arrears packages it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sources():
        source = _package(path)
        graph[source]
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "arrears" and len(parts) > 1 and parts[1] != source:
                graph[source].add(parts[1])
    return dict(graph)


def importers_of(target: str) -> dict[str, list[str]]:
    """package -> its files that import ``target`` (a top-level package)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sources():
        source = _package(path)
        if source == target:
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["arrears", target]:
                found[source].append(str(path.relative_to(SRC)))
                break
    return dict(found)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def impure_imports() -> dict[str, list[str]]:
    """Pure-rule modules that import a database, web or query-engine library."""
    found: dict[str, list[str]] = {}
    for rel in PURE:
        path = SRC / rel
        bad = sorted(
            {m for m in _imports(path) if m.split(".")[0] in IMPURE_LIBRARIES}
            if path.exists()
            else {"(missing module)"}
        )
        if bad:
            found[rel] = bad
    return found


def layers(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each package's height: 0 for what imports nothing of ours, else 1 + its highest import."""
    height: dict[str, int] = {}

    def walk(node: str) -> int:
        if node not in height:
            height[node] = 0  # a cycle would recurse forever; cycles() reports it
            height[node] = 1 + max((walk(n) for n in graph.get(node, ())), default=-1)
        return height[node]

    for node in graph:
        walk(node)
    return height


def mermaid(graph: dict[str, set[str]]) -> str:
    """The package graph as Mermaid, top layer first; arrows into the base packages left out."""
    height = layers(graph)
    lines = ["graph TD"]
    by_height: dict[int, list[str]] = defaultdict(list)
    for node, h in height.items():
        by_height[h].append(node)
    for h in sorted(by_height, reverse=True):
        names = " & ".join(sorted(by_height[h]))
        lines.append(f"  %% layer {h}: {names}")
        for node in sorted(by_height[h]):
            for target in sorted(graph.get(node, ())):
                if target not in BASE:
                    lines.append(f"  {node} --> {target}")
    return "\n".join(lines) + "\n"


# A module longer than this says at its top why it is one module.
LONG_MODULE = 600
WHY_ONE_MODULE = "Why one module:"


def long_modules_without_reason() -> dict[str, int]:
    found = {}
    for path in sources():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > LONG_MODULE and WHY_ONE_MODULE not in doc:
            found[str(path.relative_to(SRC))] = lines
    return found


def update_doc(doc: Path) -> None:
    """Replace the first ```mermaid block of ``doc`` with the graph as it is now."""
    text = doc.read_text(encoding="utf-8")
    start = text.index("```mermaid\n") + len("```mermaid\n")
    end = text.index("```", start)
    doc.write_text(text[:start] + mermaid(package_graph()) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--update"]:
        update_doc(Path(sys.argv[2]))
    else:
        sys.stdout.write(mermaid(package_graph()))
