"""The layering, measured from the code's own imports: dependencies point one way
(web/cli -> workbench flows -> domains -> delinquency, strategy, kit), with no circle."""

from __future__ import annotations

from pathlib import Path

from tests import layering

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_no_circle_between_packages() -> None:
    assert layering.cycles(layering.package_graph()) == []


def test_nothing_below_web_imports_it() -> None:
    importers = layering.importers_of("web")
    assert set(importers) <= {"cli"}, importers


def test_only_the_entry_points_import_the_flows() -> None:
    for flows in layering.FLOWS:
        importers = layering.importers_of(flows)
        assert set(importers) <= layering.TOP | layering.FLOWS, (flows, importers)


def test_nothing_imports_the_cli() -> None:
    assert layering.importers_of("cli") == {}


def test_the_base_packages_import_only_each_other() -> None:
    graph = layering.package_graph()
    for base in layering.BASE:
        assert graph.get(base, set()) <= layering.BASE, (base, graph.get(base))


def test_pure_rule_modules_import_no_database_web_or_query_engine() -> None:
    assert layering.impure_imports() == {}


def test_long_modules_say_why_they_are_one_module() -> None:
    assert layering.long_modules_without_reason() == {}


def test_the_architecture_doc_shows_the_graph_as_it_is() -> None:
    """docs/architecture.md embeds ``python -m tests.layering``; regenerate it when this fails."""
    assert layering.mermaid(layering.package_graph()) in DOC.read_text(encoding="utf-8")


def test_the_checks_can_fail() -> None:
    # A circle and an upward import are seen (the checks are not vacuous).
    assert layering.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layering.layers({"a": {"b"}, "b": set()}) == {"a": 1, "b": 0}
