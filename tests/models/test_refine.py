"""Refinement of a new task's embedding from observations, and the search hook."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metanas.models.refine import RefinementHook, refine_task_vector

from metanas.exceptions import ConfigError


@pytest.fixture()
def constructed(tiny_embedder, nbg_suite):
    """Past task A (cora) embedded exactly at the new task's prior, past task B (photo) far from it."""
    emb = tiny_embedder
    new = nbg_suite.task("nbg/computers")
    prior = torch.tensor(emb.prior(new), dtype=torch.float32)
    rng = np.random.default_rng(3)
    far = torch.tensor(rng.normal(size=emb.dim), dtype=torch.float32)
    far = far - (far @ prior) / (prior @ prior) * prior  # orthogonal to the prior
    far = far / far.norm() * prior.norm()
    with torch.no_grad():
        feats = torch.stack([torch.from_numpy(emb.normalizer.transform(t)) for t in emb.tasks])
        base = emb.model.task_prior(feats)
        emb.model.task_offset[0] = prior - base[0]
        emb.model.task_offset[1] = far - base[1]
    return emb, new


def test_refinement_ranks_the_agreeing_task_first(constructed, nbg_graphs):
    emb, new = constructed
    before = [t for t, _ in emb.similar_tasks(emb.embed_task(new))]
    assert before[0] == "nbg/cora"
    # observations ordered as past task B (photo) scores them
    values = emb.score_architectures(emb.learned_vector("nbg/photo"), nbg_graphs[:20])
    ref = refine_task_vector(emb, new, emb.task_ids, nbg_graphs[:20], values)
    assert ref.ranking[0] == "nbg/photo"
    assert ref.task_taus["nbg/photo"] == pytest.approx(1.0)
    assert ref.task_weights["nbg/photo"] > 0.9
    assert ref.fit_tau > 0.9
    assert sum(ref.task_weights.values()) == pytest.approx(1.0)
    # and the refined vector scores unseen architectures like B
    held = nbg_graphs[20:]
    from metanas.models.losses import kendall_tau

    tau = kendall_tau(emb.score_architectures(ref.vector, held), emb.score_architectures(emb.learned_vector("nbg/photo"), held))
    assert tau > 0.8


def test_refinement_errors(tiny_embedder, nbg_suite, nbg_graphs):
    task = nbg_suite.task("nbg/computers")
    with pytest.raises(ConfigError, match="at least 2"):
        refine_task_vector(tiny_embedder, task, [], nbg_graphs[:1], [1.0])
    with pytest.raises(ConfigError, match="prior_weight"):
        refine_task_vector(tiny_embedder, task, [], nbg_graphs[:3], [1.0, 2.0, 3.0], prior_weight=2.0)
    # no past task: starts from the prior
    ref = refine_task_vector(tiny_embedder, task, [], nbg_graphs[:3], [1.0, 2.0, 3.0], steps=0)
    np.testing.assert_allclose(ref.vector, tiny_embedder.prior(task), rtol=1e-5)
    assert ref.ranking == []


def test_hook_injects_unseen_candidates_into_search(constructed, nbg_graphs, nbg_suite, nbg_space):
    from metanas.search import BenchmarkEvaluator, get_strategy, run_search

    emb, new = constructed
    pool = nbg_graphs
    hook = RefinementHook(emb, nbg_space, new, emb.task_ids, refine_after=10, every=5, inject=3, candidate_pool=pool)
    strategy = get_strategy("regularized_evolution", space=nbg_space, seed=0, population_size=10, tournament_size=3)
    result = run_search(strategy, BenchmarkEvaluator(nbg_suite.table("nbg/computers")), 21, hooks=[hook])
    assert [h.num_observations for h in hook.history] == [10, 15, 20]
    first = hook.history[0].injected
    assert len(first) == 3
    evaluated = [e.graph for e in result.evaluations]
    keys = [nbg_space.key(g) for g in evaluated]
    # the injected candidates were not evaluated before injection, and were asked right after it
    assert not {nbg_space.key(g) for g in first} & set(keys[:10])
    assert {nbg_space.key(g) for g in first} <= set(keys[10:16])
    assert hook.ranking


def test_hook_settings_are_checked(tiny_embedder, nbg_space, nbg_suite):
    task = nbg_suite.task("nbg/computers")
    with pytest.raises(ConfigError, match="refine_after"):
        RefinementHook(tiny_embedder, nbg_space, task, [], refine_after=1)
    with pytest.raises(ConfigError, match="every"):
        RefinementHook(tiny_embedder, nbg_space, task, [], every=0)
    with pytest.raises(ConfigError, match="inject"):
        RefinementHook(tiny_embedder, nbg_space, task, [], inject=-1)
    from metanas.exceptions import CheckpointError
    from metanas.spaces import get_space

    with pytest.raises(CheckpointError, match="space"):
        RefinementHook(tiny_embedder, get_space("nb201"), task, [])
