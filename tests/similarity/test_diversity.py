"""Diversity-aware selection: contract, near-duplicate skipping, relaxation, determinism,
max-min, errors and the speed requirement."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError
from metanas.similarity import get_arch_metric, rank_normalise, select_diverse
from metanas.spaces import get_space

CONV = "nor_conv_3x3"


@pytest.fixture(scope="module")
def nb201():
    return get_space("nb201")


@pytest.fixture(scope="module")
def pool(nb201):
    """g0 best; g1 a near-duplicate of g0 (1 of 8 nodes differs) with the 2nd score; others far."""
    g0 = nb201.from_ops([CONV] * 6)
    g1 = nb201.from_ops([CONV] * 5 + ["nor_conv_1x1"])
    g2 = nb201.from_ops(["avg_pool_3x3"] * 3 + ["skip_connect"] * 3)
    g3 = nb201.from_ops(["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "none", "skip_connect"])
    g4 = nb201.from_ops([CONV] * 3 + ["avg_pool_3x3"] * 3)
    return [g0, g1, g2, g3, g4], [0.95, 0.94, 0.50, 0.40, 0.60]


@pytest.mark.parametrize("method", ["mmr", "maxmin"])
@pytest.mark.parametrize("metric", ["ged", "path", "opdist"])
def test_contract(nb201, method, metric):
    rng = np.random.default_rng(0)
    cands = [nb201.sample(rng) for _ in range(40)]
    scores = rng.random(40)
    chosen = select_diverse(cands, scores, 10, metric=metric, method=method)
    assert len(chosen) == 10 == len(set(chosen))
    assert all(isinstance(i, int) and 0 <= i < 40 for i in chosen)
    assert chosen[0] == int(np.argmax(scores))
    assert select_diverse(cands, scores, 10, metric=metric, method=method) == chosen  # deterministic
    assert sorted(select_diverse(cands, scores, 100, metric=metric, method=method)) == list(range(40))
    assert select_diverse(cands, scores, 0, metric=metric, method=method) == []
    assert select_diverse([], [], 5, metric=metric, method=method) == []


def test_near_duplicate_skipped_while_alternatives_exist(pool):
    cands, scores = pool
    assert get_arch_metric("ged")(cands[0], cands[1]) == pytest.approx(7 / 8)
    # Scores only (lambda_ = 1) and no filter: the near-duplicate comes second.
    assert select_diverse(cands, scores, 2, lambda_=1.0, max_similarity=None)[:2] == [0, 1]
    # With the filter it is skipped for the next best dissimilar candidate ...
    chosen = select_diverse(cands, scores, 4, lambda_=1.0, max_similarity=0.8)
    assert chosen == [0, 4, 2, 3]
    # ... and only taken when nothing else is left (relaxed so that exactly k return).
    assert select_diverse(cands, scores, 5, lambda_=1.0, max_similarity=0.8) == [0, 4, 2, 3, 1]


def test_relaxation_when_all_are_duplicates(nb201):
    g = nb201.from_ops([CONV] * 6)
    chosen = select_diverse([g] * 4, [0.1, 0.4, 0.3, 0.2], 3, max_similarity=0.5)
    assert chosen == [1, 2, 3]


def test_ties_go_to_the_lower_index(nb201):
    g = nb201.from_ops([CONV] * 6)
    assert select_diverse([g] * 5, [1.0] * 5, 5, metric="opdist") == [0, 1, 2, 3, 4]
    assert select_diverse([g] * 5, [1.0] * 5, 5, metric="opdist", method="maxmin") == [0, 1, 2, 3, 4]


def test_maxmin_takes_the_farthest_first(pool):
    cands, scores = pool
    sims = get_arch_metric("ged").pairwise(cands)
    chosen = select_diverse(cands, scores, 3, method="maxmin", max_similarity=None)
    assert chosen[0] == 0
    assert chosen[1] == int(np.argmin(sims[0]))
    rest = [i for i in range(5) if i not in chosen[:2]]
    worst_case = {i: max(sims[0, i], sims[chosen[1], i]) for i in rest}
    assert chosen[2] == min(rest, key=lambda i: (worst_case[i], -scores[i], i))


def test_mmr_trades_score_against_similarity(pool):
    cands, scores = pool
    # Relevance (rank-normalised): g1 0.75, g2 0.25, g3 0, g4 0.5; GED similarity to g0:
    # g1 7/8, g2 2/8, g3 2/8, g4 5/8. MMR = lam * rel - (1 - lam) * sim.
    # lam 0.5: g1 -0.0625, g2 0, g3 -0.125, g4 -0.0625 -> g2.
    assert select_diverse(cands, scores, 2, lambda_=0.5, max_similarity=None) == [0, 2]
    # lam 0.9: g1 0.5875, g2 0.2, g3 -0.025, g4 0.3875 -> g1.
    assert select_diverse(cands, scores, 2, lambda_=0.9, max_similarity=None) == [0, 1]


def test_callable_metric(pool):
    cands, scores = pool
    calls = []

    def same_first_op(a, b):
        calls.append(1)
        return 1.0 if a.ops[1] == b.ops[1] else 0.0

    chosen = select_diverse(cands, scores, 3, metric=same_first_op, lambda_=1.0, max_similarity=0.5)
    assert chosen == [0, 2, 3]
    assert calls
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        select_diverse(cands, scores, 3, metric=lambda a, b: 2.0)


def test_rank_normalise():
    np.testing.assert_allclose(rank_normalise([3.0, 1.0, 2.0]), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(rank_normalise([1.0, 1.0, 0.0]), [0.75, 0.75, 0.0])
    np.testing.assert_allclose(rank_normalise([5.0]), [1.0])
    np.testing.assert_allclose(rank_normalise([2.0, 2.0]), [1.0, 1.0])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"k": -1}, "'k'"),
        ({"k": 2.5}, "'k'"),
        ({"k": True}, "'k'"),
        ({"method": "greedy"}, "'method'"),
        ({"lambda_": 1.5}, "'lambda_'"),
        ({"method": "maxmin", "lambda_": 0.5}, "'lambda_' applies to method='mmr' only"),
        ({"max_similarity": -0.1}, "'max_similarity'"),
        ({"max_similarity": 2}, "'max_similarity'"),
        ({"metric": "edit"}, "'metric'"),
        ({"metric": 3}, "'metric'"),
        ({"scores": [1.0, 2.0]}, "'scores'"),
        ({"scores": [1.0, float("nan"), 0.0, 0.0, 0.0]}, "'scores'"),
        ({"candidates": "abc"}, "'candidates'"),
    ],
)
def test_config_errors(pool, kwargs, name):
    cands, scores = pool
    args = {"candidates": cands, "scores": scores, "k": 2, **kwargs}
    with pytest.raises(ConfigError, match=name):
        select_diverse(args.pop("candidates"), args.pop("scores"), args.pop("k"), **args)


@pytest.mark.parametrize("space_id", ["nb201", "nbg"])
def test_25_of_500_with_ged_are_distinct_and_spread(space_id):
    """The benchmark's case (timed by `python -m benchmarks.speed_similarity`, not here)."""
    space = get_space(space_id)
    rng = np.random.default_rng(1)
    cands = [space.sample(rng) for _ in range(500)]
    scores = rng.random(500)
    select_diverse(cands[:50], scores[:50], 5)  # one-off per-topology caches
    chosen = select_diverse(cands, scores, 25, metric="ged")
    assert len(set(chosen)) == 25 and chosen[0] == int(np.argmax(scores))
    sim = get_arch_metric("ged").pairwise([cands[i] for i in chosen])
    assert np.all(sim[~np.eye(25, dtype=bool)] <= 0.9 + 1e-12)
