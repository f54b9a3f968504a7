"""Fixtures of the integration tests: NAS-Bench-Graph tables and a small history database."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.db import ExperimentDatabase

HELD_OUT = "nbg/cora"
PAST = ("nbg/citeseer", "nbg/pubmed")


@pytest.fixture(scope="session")
def cora(nbg_suite):
    return nbg_suite.table(HELD_OUT)


def fill_history(db: ExperimentDatabase, suite, tasks=PAST, rows: int = 300) -> None:
    """Import ``rows`` random table rows of each past task (the LOTO ``random-N`` history)."""
    for i, task_id in enumerate(tasks):
        table = suite.table(task_id)
        picked = np.sort(np.random.default_rng(i).choice(len(table), size=rows, replace=False))
        db.import_table(table, rows=[int(r) for r in picked], strategy=f"random-{rows}", seed=0)


@pytest.fixture
def history_db(tmp_path, nbg_suite, cora):
    """An SQLite experiment database with a history of the past tasks and the held-out task added."""
    db = ExperimentDatabase(tmp_path / "history.db")
    fill_history(db, nbg_suite)
    db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
    yield db
    db.close()


def require_ray():
    """``ray.tune``, or skip the test module when Ray is not installed.

    With ``METANAS_REQUIRE_RAY=1`` (CI's Ray step) a missing Ray fails instead of skipping.
    """
    import os

    if os.environ.get("METANAS_REQUIRE_RAY") == "1":
        from ray import tune  # an ImportError here fails the run: the Ray step must run these tests

        return tune
    return pytest.importorskip("ray.tune", reason="Ray Tune is not installed (pip install metanas[ray])")
