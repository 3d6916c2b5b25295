"""The layers of the code (docs/architecture.md): imports point one way and never in a loop.

    cli -> definitions -> defs -> publishing, quality, doku -> settings, environment -> lib

`lib` imports neither Dagster nor `ingestion`; `ingestion` never imports `dagster_project`;
the dbt Python models import `dagster_project.lib` only. The import graph is read from the
source (every `import`, also those inside functions), so an import hidden in a function
cannot close a loop unseen.
"""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dagster_project", "ingestion", "expectations")

# rank of each part of dagster_project: a module may import only its own part or lower ranks
RANKS = {
    "dagster_project.lib": 0,
    "dagster_project.settings": 1,
    "dagster_project.environment": 1,
    "dagster_project.event_log": 1,
    "dagster_project.publishing": 2,
    "dagster_project.quality": 2,
    "dagster_project.doku": 2,
    "dagster_project.reports": 2,
    "dagster_project.betrieb": 2.5,
    "dagster_project.defs": 3,
    "dagster_project.definitions": 4,
    "dagster_project.cli": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported_names(path: Path) -> set[str]:
    """Every dotted name imported anywhere in the file: `import a.b` gives `a.b`,
    `from a import b` gives `a.b` (a module `b`, or a name `b` of `a`); relative imports are
    resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (a name that is not a module of ours, such as
    `a.function`, counts as its module `a`)."""
    graph = {}
    for name, path in known.items():
        targets = set()
        for imported in imported_names(path):
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def rank(name: str) -> int | None:
    for prefix, value in RANKS.items():
        if name == prefix or name.startswith(prefix + "."):
            return value
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules())


def test_the_cycle_finder_finds_a_loop_through_a_function_import(tmp_path):
    package = tmp_path / "paket"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from paket.b import g\n")
    (package / "b.py").write_text("def g():\n    from paket import c\n")
    (package / "c.py").write_text("from . import a\n")
    (package / "d.py").write_text("import paket.a\n")
    global ROOT
    saved = ROOT
    ROOT = tmp_path
    try:
        known = {module_name(p): p for p in sorted(package.rglob("*.py"))}
        found = cycles(import_graph(known))
    finally:
        ROOT = saved
    assert found == [["paket.a", "paket.b", "paket.c"]]


def test_no_import_loop_anywhere(graph):
    assert cycles(graph) == []


def test_imports_point_down_the_layers(graph):
    wrong = []
    for name, targets in graph.items():
        if not name.startswith("dagster_project."):
            continue
        own = rank(name)
        assert own is not None, f"{name}: in keinem Layer (RANKS ergänzen)"
        for target in targets:
            theirs = rank(target)
            if theirs is not None and theirs > own:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_ingestion_and_expectations_do_not_import_the_orchestrator(graph):
    wrong = [f"{name} -> {target}" for name, targets in graph.items()
             if not name.startswith("dagster_project") for target in targets
             if target.startswith("dagster_project")]
    assert wrong == []


def test_lib_imports_nothing_above_it(graph):
    wrong = [f"{name} -> {target}" for name, targets in graph.items()
             if name.startswith("dagster_project.lib") for target in targets
             if not target.startswith("dagster_project.lib")]
    assert wrong == []


BLOCKER = """
import importlib.abc, sys

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dagster", "dagster_dbt", "ingestion"):
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, Blocked())
"""


def run_blocked(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter where `dagster`, `dagster_dbt` and `ingestion` cannot
    be imported."""
    return subprocess.run([sys.executable, "-c", BLOCKER + textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True)


def test_every_lib_module_imports_without_dagster_and_ingestion():
    result = run_blocked("""
        import importlib, pkgutil
        import dagster_project.lib as lib
        names = [m.name for m in pkgutil.walk_packages(lib.__path__, "dagster_project.lib.")]
        for name in names:
            importlib.import_module(name)
        assert not any(m.split(".")[0] in ("dagster", "dagster_dbt", "ingestion")
                       for m in sys.modules)
        print(len(names))
    """)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 9          # geheimhaltung (8 modules), sozialindex


def test_the_blocker_would_notice_a_forbidden_import():
    """The check above fails for a module that imports `ingestion` (the blocker works)."""
    result = run_blocked("import dagster_project.quality.report\n")
    assert result.returncode != 0 and "blocked: ingestion" in result.stderr


def test_dbt_python_models_import_only_lib():
    wrong = []
    models = sorted((ROOT / "dbt_spm" / "models").rglob("*.py"))
    assert len(models) >= 5
    for path in models:
        for name in imported_names(path):
            top = name.split(".")[0]
            if top in PACKAGES and not name.startswith("dagster_project.lib"):
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert wrong == []


def test_architecture_doc_names_every_module_and_only_existing_paths():
    """docs/architecture.md names every module of dagster_project (so a newcomer finds each
    room there), and every path it writes in backticks exists."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "dagster_project").rglob("*.py"))
               if path.name != "__init__.py" and path.name not in doc]
    assert missing == []
    import re

    paths = set(re.findall(r"`((?:dagster_project|ingestion|expectations|dbt_spm|tests|docs|benchmarks)"
                           r"/[\w./-]*\w)`", doc))
    assert len(paths) >= 15
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []
