"""The package's folders are the pipeline's stages, and imports only point down it.

Every `import` counts, also inside functions and under TYPE_CHECKING: a late import hides a
dependency from the reader, not from the design.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.support import PROJECT

# Lowest first: a module may import its own stage and the stages before it.
STAGES = [
    {"errors", "paths", "findings", "resources", "repofiles", "parallel"},
    {"yaml"},
    {"kube"},
    {"sources"},
    {"render"},
    {"subjects"},
    {"rules"},
    {"report"},
    {"pipeline"},
    {"diff"},
    {"cli"},
]
RULE_IMPORTS = {"subjects", "findings", "kube", "paths", "errors", "rules"}

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, modules: Iterable[str]) -> set[str]:
    """The package's modules a source imports, wherever the import statement is."""
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known}


def package_graph(root: Path) -> Graph:
    files = {module_name(path, root.parent): path for path in sorted(root.rglob("*.py"))}
    return {
        name: imports_of(path.read_text(encoding="utf-8"), files) - {name}
        for name, path in files.items()
    }


def cycle(graph: Mapping[str, Iterable[str]]) -> list[str]:
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "root"


def level(module: str) -> int:
    return next(index for index, names in enumerate(STAGES) if stage(module) in names)


def upward_imports(graph: Graph) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if stage(module) != stage(target) and level(target) > level(module)
    )


GRAPH = package_graph(PROJECT / "gitopsctl")


def test_no_module_imports_itself_in_a_cycle() -> None:
    assert cycle(GRAPH) == []


def test_imports_only_point_down_the_pipeline() -> None:
    assert upward_imports(GRAPH) == []


def test_every_module_belongs_to_a_stage() -> None:
    assert sorted({stage(m) for m in GRAPH if m != "gitopsctl"}) == sorted(set().union(*STAGES))


def test_rules_import_only_subjects_findings_and_kubernetes_semantics() -> None:
    outside = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if stage(module) == "rules"
        for target in targets
        if stage(target) not in RULE_IMPORTS
    )
    assert outside == []


def test_render_py_is_only_the_entry_point() -> None:
    source = (PROJECT / "render.py").read_text(encoding="utf-8")
    assert imports_of(source, GRAPH) == {"gitopsctl.cli.main"}


@pytest.mark.parametrize(
    ("files", "expected_cycle", "expected_upward"),
    [
        pytest.param(
            {
                "gitopsctl/render/a.py": "def f():\n    from gitopsctl.pipeline import x\n",
                "gitopsctl/pipeline.py": "from gitopsctl.render import a\nx = 1\n",
            },
            ["gitopsctl.render.a", "gitopsctl.pipeline", "gitopsctl.render.a"],
            ["gitopsctl.render.a -> gitopsctl.pipeline"],
            id="function-level-import-cycle-FAILED",
        ),
        pytest.param(
            {
                "gitopsctl/rules/r.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from gitopsctl.report.catalog import C\n",
                "gitopsctl/report/catalog.py": "C = 1\n",
            },
            [],
            ["gitopsctl.rules.r -> gitopsctl.report.catalog"],
            id="type-checking-import-upward-FAILED",
        ),
        pytest.param(
            {
                "gitopsctl/rules/r.py": "from gitopsctl.subjects.records import E\n",
                "gitopsctl/subjects/records.py": "E = 1\n",
            },
            [],
            [],
            id="downward-import-PASSED",
        ),
    ],
)
def test_the_checks_see_what_they_are_for(
    tmp_path: Path, files: dict[str, str], expected_cycle: list[str], expected_upward: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph = package_graph(tmp_path / "gitopsctl")
    found = cycle(graph)
    if expected_cycle:
        assert sorted(set(found)) == sorted(set(expected_cycle)) and found[0] == found[-1]
    else:
        assert found == []
    assert upward_imports(graph) == expected_upward
