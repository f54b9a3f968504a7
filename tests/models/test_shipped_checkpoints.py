"""The checkpoints shipped in checkpoints/ load and fit their suites' tasks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from metanas.models.checkpoint import WEIGHTS_FILE, load_embedder
from metanas.models.losses import kendall_tau

ROOT = Path(__file__).resolve().parents[2] / "checkpoints"


@pytest.mark.parametrize(
    "name, space_id, tasks",
    [
        ("nbg", "nbg", ["nbg/arxiv", "nbg/citeseer", "nbg/computers", "nbg/cora", "nbg/cs", "nbg/photo",
                        "nbg/physics", "nbg/pubmed"]),
        ("nb201", "nb201", ["nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"]),
    ],
)
def test_shipped_checkpoint_loads_and_fits(name, space_id, tasks):
    emb = load_embedder(ROOT / name)
    assert emb.space_id == space_id and emb.task_ids == tasks
    assert (ROOT / name / WEIGHTS_FILE).stat().st_size < 2_000_000
    for t in emb.tasks:
        emb.check(t, space_id)
    assert emb.card["validation"]["mean_kendall_tau"] > 0.5
    # trained before the regression objective and the nested prior decision: ranking heads, no MLP prior
    assert not emb.standardised_heads and not emb.use_mlp_prior
    assert emb.past_heads.shape == (len(tasks), emb.dim) and emb.prior_mean(emb.tasks[0]) is None


def test_shipped_nbg_checkpoint_ranks_its_training_task(nbg_suite):
    emb = load_embedder(ROOT / "nbg")
    table = nbg_suite.table("nbg/physics")
    rows = np.random.default_rng(0).choice(len(table), 300, replace=False)
    scores = emb.score_architectures(table.task, [table.graphs[i] for i in rows])
    assert kendall_tau(scores, table.values[rows]) > 0.4
