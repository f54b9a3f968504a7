"""The import rule of DESIGN.md: modules import only their own layer or lower ones.

Every ``import`` and ``from ... import`` under `metanas` (and the folders installed as
`metanas.models` / `metanas.training`), at module level or inside a function, is read from the
source with `ast`; an edge from a lower layer to a higher one fails the test. The package's
``__init__`` facade (lazy public names) and ``__main__`` sit above every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import metanas

ROOT = Path(metanas.__file__).resolve().parent.parent

#: Module prefix -> layer (longest prefix wins), bottom (1) to top.
LAYERS: dict[str, int] = {
    "metanas.exceptions": 1,
    "metanas.registry": 1,
    "metanas.resources": 1,
    "metanas.validation": 1,
    "metanas.protocols": 3,  # names the domain objects of layers 2 and 3
    "metanas.graph": 2,
    "metanas._canonical": 2,
    "metanas.tasks": 2,
    "metanas.landmarks": 2,  # landmark meta-features of the data (numpy, SciPy, scikit-learn)
    "metanas.spaces": 3,
    "metanas._population": 3,
    "metanas.db": 4,
    "metanas.similarity": 4,
    "metanas.benchmarks": 4,  # suites, tables, targets
    "metanas.transfer": 5,
    "metanas.warm_start": 5,
    "metanas.search": 6,
    "metanas.networks": 7,
    "metanas.models": 7,
    "metanas.training": 7,
    "metanas.pipeline": 8,
    "metanas.integrations": 8,
    "metanas.benchmarks.loto": 9,
    "metanas.benchmarks.demo": 9,
    "metanas.cli": 10,
    "metanas.__main__": 11,
    "metanas": 11,  # the lazy facade
    "metanas.__version__": 1,  # a constant of the facade
}

SOURCES = {"metanas": ROOT / "metanas", "metanas.models": ROOT / "models", "metanas.training": ROOT / "training"}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    return None


def _modules():
    for package, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if package == "metanas" and parts and parts[0] in ("models", "training"):
                continue
            name = ".".join([package, *parts])
            yield name, path, path.name == "__init__.py"


def _imports(name: str, path: Path, is_package: bool):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    base = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                full = f"{mod}.{alias.name}"
                # ``from pkg import submodule`` names the submodule; otherwise the module itself
                yield (full if layer_of(full) != layer_of(mod) else mod), node.lineno
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value, node.lineno


def test_every_module_has_a_layer():
    missing = [name for name, _, _ in _modules() if layer_of(name) is None]
    assert not missing, f"modules without a layer in LAYERS: {missing}"


def test_no_module_imports_a_higher_layer():
    upward = []
    for name, path, is_package in _modules():
        own = layer_of(name)
        for target, line in sorted(set(_imports(name, path, is_package)), key=lambda e: (e[1], e[0])):
            if not target.startswith("metanas"):
                if target.split(".")[0] == "benchmarks":
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports the top-level {target}")
                continue
            other = layer_of(target)
            if other is not None and own is not None and other > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({name}, layer {own}) imports {target} (layer {other})")
    assert not upward, "upward imports:\n" + "\n".join(upward)


@pytest.mark.parametrize("module, layer", [("metanas.search._loop", 6), ("metanas.benchmarks.loto._runner", 9),
                                           ("metanas.benchmarks._suites", 4), ("metanas.models.embedder", 7)])
def test_layer_of_uses_the_longest_prefix(module, layer):
    assert layer_of(module) == layer
