"""Fixtures of the model tests: NAS-Bench-Graph graphs and an untrained meta-learner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metanas.spaces import get_space


@pytest.fixture(scope="session")
def nbg_space():
    return get_space("nbg")


@pytest.fixture(scope="session")
def nbg_graphs(nbg_space):
    rng = np.random.default_rng(0)
    return [nbg_space.sample(rng) for _ in range(40)]


@pytest.fixture()
def tiny_embedder(nbg_suite):
    """An untrained (seeded) meta-learner over two NAS-Bench-Graph tasks."""
    from metanas.models.embedder import MetaLearnerEmbedder
    from metanas.models.features import FeatureNormalizer
    from metanas.models.meta_learner import MetaLearner

    from metanas.spaces import NBG_OPS

    torch.manual_seed(0)
    tasks = [nbg_suite.task("nbg/cora"), nbg_suite.task("nbg/photo")]
    norm = FeatureNormalizer.fit(tasks)
    model = MetaLearner(num_ops=len(NBG_OPS) + 2, num_features=len(norm.names), num_tasks=2, dim=8, hidden=16,
                        num_layers=2, task_hidden=8)
    return MetaLearnerEmbedder(model, norm, "nbg", NBG_OPS, tasks)
