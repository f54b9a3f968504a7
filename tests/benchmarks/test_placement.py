"""The wheel holds the library, not the lab: nothing under metanas/ imports the top-level benchmarks/."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = ("speed_graph", "speed_similarity", "speed_training", "speed_transfer", "speed_warm_start",
           "task_relations", "build_params", "random_history", "real_search", "optuna_speedup", "report", "nested",
           "methods")


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_library_module_imports_the_benchmarks_folder():
    offenders = {str(p.relative_to(REPO)): sorted(m for m in _imported_modules(p) if m.split(".")[0] == "benchmarks")
                 for d in ("metanas", "models", "training") for p in (REPO / d).rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_scripts_and_variants_live_outside_the_installed_package():
    for name in SCRIPTS:
        assert (REPO / "benchmarks" / f"{name}.py").is_file(), name
        assert not (REPO / "metanas" / "benchmarks" / f"{name}.py").exists(), name
    assert not list((REPO / "metanas" / "benchmarks").glob("_loto_*.py"))
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert all(p.split(".")[0] == "metanas" for p in packages) and "metanas.benchmarks.loto" in packages
    assert (REPO / "benchmarks" / "results" / "nasbench-graph-top0.1" / "summary.json").is_file()
    assert not (REPO / "notebooks" / "results").exists()


@pytest.mark.parametrize("module", sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py")
                                          if p.stem != "__init__"))
def test_every_benchmark_script_imports(module):
    """A script of the lab that no longer imports (e.g. after a library name moved) fails here, not
    when someone reruns it months later."""
    importlib.import_module(f"benchmarks.{module}")
