"""The README's "Use with Ray Tune" example runs as written (skipped without Ray, except in CI's Ray step)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import require_ray

require_ray()

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.slow
def test_python_example_runs(tmp_path, monkeypatch):
    section = README.read_text().split("## Use with Ray Tune", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    db, warm = namespace["db"], namespace["warm"]
    (run,) = db.runs("nbg/cora")[-1:]
    assert (run.strategy, run.status, run.num_evaluations) == ("ray-tune", "finished", 30)
    rows = db.trajectory(run.run_id)
    assert [e.step for e in rows] == list(range(30))
    from metanas.integrations.ray import config_to_graph

    assert [e.graph for e in rows[:10]] == [config_to_graph(p, "nbg") for p in warm.points]
    assert (tmp_path / "ray-results").is_dir()
    db.close()
