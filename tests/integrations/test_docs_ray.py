"""The Ray Tune page's example (docs/integrations/ray.md) runs as written (skipped without Ray, except in CI's Ray
step, which runs this file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import require_ray

require_ray()

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "ray.md"


@pytest.mark.slow
def test_python_example_runs(tmp_path, monkeypatch):
    (block,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - the page's own code
    db, warm = namespace["db"], namespace["warm"]
    (run,) = db.runs("nbg/cora")[-1:]
    assert (run.strategy, run.status, run.num_evaluations) == ("ray-tune", "finished", 30)
    rows = db.trajectory(run.run_id)
    assert [e.step for e in rows] == list(range(30))
    from metanas.integrations.ray import config_to_graph

    assert [e.graph for e in rows[:10]] == [config_to_graph(p, "nbg") for p in warm.points]
    assert (tmp_path / "ray-results").is_dir()
    db.close()
