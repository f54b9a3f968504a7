"""Fixtures of the training tests: a small real history (two NAS-Bench-Graph tasks)."""

from __future__ import annotations

import numpy as np
import pytest

TINY = {
    "embedding_dim": 8, "hidden_dim": 16, "num_layers": 2, "task_hidden_dim": 8, "max_epochs": 3,
    "steps_per_epoch": 5, "archs_per_task": 32, "patience": 2,
}


@pytest.fixture(scope="session")
def tiny_config() -> dict:
    return dict(TINY)


@pytest.fixture(scope="session")
def history_db(tmp_path_factory, nbg_suite):
    """300 random table rows of each of nbg/cora, nbg/photo and nbg/pubmed (pubmed: the task to exclude)."""
    from metanas.db import ExperimentDatabase

    db = ExperimentDatabase(tmp_path_factory.mktemp("history") / "history.db")
    for i, tid in enumerate(("nbg/cora", "nbg/photo", "nbg/pubmed")):
        table = nbg_suite.table(tid)
        rows = np.random.default_rng([0, i]).choice(len(table), size=300, replace=False)
        db.import_table(table, rows=rows, strategy="random-history", seed=0)
    yield db
    db.close()
