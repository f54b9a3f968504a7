"""Every notebook runs top to bottom from a clean kernel in quick mode (CI)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("name", ["task_similarity.ipynb", "speedup_nasbench201.ipynb", "speedup_nasbench_graph.ipynb"])
def test_notebook_runs_in_quick_mode(name, nb201_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("METANAS_NB201_DIR", str(nb201_dir))
    builder = _builder()
    nb = builder.execute(NOTEBOOKS / name, quick=True, timeout=900)  # a failing cell raises CellExecutionError
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the notebook drew no figure"


def test_committed_notebooks_match_their_builder():
    """The committed sources are what `build_notebooks.py` writes (outputs aside)."""
    builder = _builder()
    for name, make in builder.NOTEBOOKS.items():
        import nbformat

        committed = nbformat.read(NOTEBOOKS / name, as_version=4)
        fresh = make()
        assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], name
