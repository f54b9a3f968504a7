"""Strategies: ask/tell, determinism, initial population, injection, aging, errors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError, UnknownOperationError
from metanas.graph import ModelGraph
from metanas.search import (
    RandomSearch,
    RegularizedEvolution,
    SearchError,
    SearchSpaceExhaustedError,
    SearchStrategy,
    get_strategy,
    strategy_names,
)
from metanas.spaces import NasBenchGraphSpace, NB201Space

STRATEGIES = ["random", "regularized_evolution", "transfer-bo"]


def drive(strategy: SearchStrategy, n: int, score) -> list[ModelGraph]:
    """Sequential ask/tell for ``n`` evaluations with a deterministic score."""
    asked = []
    for _ in range(n):
        g = strategy.ask()
        strategy.tell(g, score(g))
        asked.append(g)
    return asked


def test_registry_lists_names():
    assert {"random", "regularized_evolution", "transfer-bo"} <= set(strategy_names())  # plus any of other modules
    assert isinstance(get_strategy("random", space="nb201", seed=0), RandomSearch)
    evo = get_strategy("regularized_evolution", space="nb201", seed=0, population_size=10, tournament_size=3)
    assert isinstance(evo, RegularizedEvolution) and evo.config == {"population_size": 10, "tournament_size": 3}
    assert get_strategy(evo) is evo
    with pytest.raises(UnknownNameError, match=r"unknown search strategy 'evo'.*'random', 'regularized_evolution'"):
        get_strategy("evo", space="nb201", seed=0)
    with pytest.raises(ConfigError, match="instance and arguments"):
        get_strategy(evo, seed=1)
    with pytest.raises(ConfigError, match=r"'regularized_evolution' got unknown argument\(s\) \['populaton_size'\]"):
        get_strategy("regularized_evolution", space="nb201", seed=0, populaton_size=10)
    with pytest.raises(ConfigError, match=r"'random' needs the argument\(s\) \['seed'\]"):
        get_strategy("random", space="nb201")


@pytest.mark.parametrize("name", STRATEGIES)
def test_ask_tell_bookkeeping(name, score):
    s = get_strategy(name, space="nb201", seed=0)
    space = s.space
    g = s.ask()
    assert space.contains(g) and g.space_id == "nb201"
    assert s.num_asked == 1 and s.num_evaluated == 0 and s.pending == (g,)
    assert s.is_seen(g)
    s.tell(g, score(g))
    assert s.num_evaluated == 1 and s.pending == ()
    with pytest.raises(SearchError, match="was already told"):
        s.tell(g, 1.0)
    other = space.mutate(g, np.random.default_rng(0))
    with pytest.raises(SearchError, match="was not asked"):
        s.tell(other, 1.0)
    h = s.ask()
    for bad in (float("nan"), "0.5", None, True):
        with pytest.raises(ConfigError, match="real number"):
            s.tell(h, bad)
    with pytest.raises(SearchError, match="expects the ModelGraph"):
        s.tell("not a graph", 1.0)
    s.tell(h, -np.inf)  # a failed evaluation may score -inf
    assert s.num_evaluated == 2


@pytest.mark.parametrize("name", STRATEGIES)
@pytest.mark.parametrize("space_id", ["nb201", "nbg"])
def test_same_seed_same_sequence_other_seed_differs(name, space_id, score):
    runs = [drive(get_strategy(name, space=space_id, seed=seed), 120, score) for seed in (7, 7, 8)]
    ids = [[g.identity for g in run] for run in runs]
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]


_CHILD = """
import hashlib, json
from metanas.search import get_strategy
def score(g):
    return int(hashlib.sha256(g.identity.encode()).hexdigest()[:8], 16) / 2**32
out = {}
for name in ("random", "regularized_evolution", "transfer-bo"):
    for space in ("nb201", "nbg"):
        s = get_strategy(name, space=space, seed=11)
        ids = []
        for _ in range(80):
            g = s.ask(); s.tell(g, score(g)); ids.append(g.identity)
        out[name + "/" + space] = ids
print(json.dumps(out))
"""


def test_same_seed_same_sequence_in_another_process(score):
    env = {**os.environ, "PYTHONHASHSEED": "123"}  # another string-hash seed than ours
    proc = subprocess.run([sys.executable, "-c", _CHILD], check=False, capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in STRATEGIES:
        for space in ("nb201", "nbg"):
            ours = [g.identity for g in drive(get_strategy(name, space=space, seed=11), 80, score)]
            assert theirs[f"{name}/{space}"] == ours, f"{name}/{space}"


# ----------------------------------------------------------------------- initial population
@pytest.mark.parametrize("name", STRATEGIES)
def test_initial_population_asked_first_in_order(name, score):
    space = NB201Space()
    rng = np.random.default_rng(3)
    init = [space.sample(rng) for _ in range(8)]
    s = get_strategy(name, space=space, seed=0, initial_population=init)
    assert s.initial_population == tuple(init)
    asked = drive(s, 30, score)
    assert asked[:8] == init
    assert len({space.key(g) for g in asked}) == 30


def test_initial_population_larger_than_population_is_all_asked(score):
    space = NB201Space()
    rng = np.random.default_rng(4)
    init = list({g: None for g in (space.sample(rng) for _ in range(30))})[:25]
    s = RegularizedEvolution(space, seed=1, initial_population=init, population_size=20)
    assert drive(s, 25, score) == init
    assert [g for g, _ in s.population] == init[5:]  # aging kept the newest 20


@pytest.mark.parametrize("name", STRATEGIES)
def test_initial_population_duplicates_dropped_and_logged(name, caplog):
    space = NasBenchGraphSpace()
    a = space.from_arch((0, 0, 0, 0), ("gcn", "gat", "gin", "sage"))
    a_iso = space.from_arch((0, 0, 0, 0), ("gat", "gcn", "gin", "sage"))  # isomorphic: same table key
    b = space.from_arch((0, 1, 2, 3), ("gcn", "gcn", "gcn", "gcn"))
    assert a.identity != a_iso.identity and space.key(a) == space.key(a_iso)
    with caplog.at_level(logging.INFO, logger="metanas.search"):
        s = get_strategy(name, space=space, seed=0, initial_population=[a, b, a_iso, b])
    assert s.initial_population == (a, b)
    assert "dropped 2 duplicate(s)" in caplog.text
    assert [s.ask(), s.ask()] == [a, b]


@pytest.mark.parametrize("name", STRATEGIES)
def test_invalid_initial_member_raises_at_construction(name):
    space = NB201Space()
    good = space.from_ops(["none"] * 6)
    alien = NasBenchGraphSpace().from_arch((0, 0, 0, 0), ("gcn",) * 4)
    unknown_op = ModelGraph(good.ops[:1] + ("conv_7x7",) + good.ops[2:], good.edges)
    with pytest.raises(InvalidArchitectureError, match=r"initial_population\[1\] is not in space 'nb201'"):
        get_strategy(name, space=space, seed=0, initial_population=[good, alien])
    with pytest.raises(UnknownOperationError, match=r"initial_population\[0\].*conv_7x7"):
        get_strategy(name, space=space, seed=0, initial_population=[unknown_op])
    with pytest.raises(ConfigError, match="sequence of ModelGraph"):
        get_strategy(name, space=space, seed=0, initial_population=good)


# ----------------------------------------------------------------------- injection
@pytest.mark.parametrize("name", STRATEGIES)
def test_inject_interleaves_skips_seen_and_keeps_own_proposals(name, score):
    space = NB201Space()
    s = get_strategy(name, space=space, seed=5)
    done = drive(s, 25, score)
    rng = np.random.default_rng(9)
    fresh = []
    while len(fresh) < 4:
        g = space.sample(rng)
        if not s.is_seen(g) and g not in fresh:
            fresh.append(g)
    pending = s.ask()
    # already evaluated, pending, a duplicate within the batch: all skipped
    assert s.inject([done[3], fresh[0], pending, fresh[1], fresh[0], fresh[2], fresh[3]]) == 4
    assert s.num_injected_pending == 4
    s.tell(pending, score(pending))
    asked = drive(s, 8, score)
    assert asked[0::2] == fresh  # every other ask, in order, starting at once
    assert not any(g in fresh for g in asked[1::2])  # the strategy's own proposals stay in the mix
    assert len({space.key(g) for g in done + [pending] + asked}) == 34
    # an injected graph that gets asked by the strategy itself in the meantime is skipped
    x = s.ask()
    y = space.mutate(x, rng)
    while s.is_seen(y):
        y = space.mutate(y, rng)
    assert s.inject([x, y]) == 1
    s.tell(x, score(x))
    assert s.ask() == y


def test_inject_rejects_invalid_atomically():
    s = RandomSearch("nb201", seed=0)
    good = NB201Space().from_ops(["nor_conv_3x3"] * 6)
    alien = NasBenchGraphSpace().from_arch((0, 0, 0, 0), ("gcn",) * 4)
    with pytest.raises(InvalidArchitectureError, match=r"inject\[1\] is not in space 'nb201'"):
        s.inject([good, alien])
    assert s.num_injected_pending == 0


def test_injected_results_join_the_evolution_population(score):
    s = RegularizedEvolution("nb201", seed=0, population_size=5, tournament_size=2)
    drive(s, 7, score)
    g = NB201Space().from_ops(["nor_conv_3x3"] * 6)
    if s.is_seen(g):  # pragma: no cover - depends on the seed
        g = NB201Space().from_ops(["nor_conv_1x1"] * 6)
    s.inject([g])
    assert s.ask() == g
    s.tell(g, 123.0)
    assert s.population[-1] == (g, 123.0) and len(s.population) == 5


# ----------------------------------------------------------------------- evolution
class SpySpace(NB201Space):
    """NB201 that records the parent of every mutation."""

    def __init__(self) -> None:
        self.parents: list[ModelGraph] = []

    def mutate(self, graph, rng):
        self.parents.append(graph)
        return super().mutate(graph, rng)


def test_aging_keeps_population_size_and_removes_oldest(score):
    s = RegularizedEvolution("nb201", seed=2, population_size=10, tournament_size=3)
    told: list[tuple[ModelGraph, float]] = []
    for i in range(60):
        g = s.ask()
        v = score(g)
        s.tell(g, v)
        told.append((g, v))
        assert len(s.population) == min(i + 1, 10)
        assert s.population == tuple(told[-10:])


def test_initial_phase_then_tournament_of_population_members(score):
    space = SpySpace()
    s = RegularizedEvolution(space, seed=3, population_size=6, tournament_size=2)
    drive(s, 6, score)
    assert space.parents == []  # the initial population is sampled, not mutated
    for _ in range(40):
        population = [g for g, _ in s.population]
        g = s.ask()
        assert space.parents[-1] in population
        s.tell(g, score(g))


def test_full_tournament_selects_the_best_ties_the_oldest(score):
    # tournament_size == population_size draws everyone (without replacement): the parent is
    # always the population's best; with replacement it would miss the best now and then.
    space = SpySpace()
    s = RegularizedEvolution(space, seed=4, population_size=8, tournament_size=8)
    drive(s, 8, score)
    for _ in range(60):
        best = max(s.population, key=lambda m: m[1])[0]
        g = s.ask()
        assert space.parents[-1] == best
        s.tell(g, score(g))
    flat = SpySpace()
    s = RegularizedEvolution(flat, seed=4, population_size=8, tournament_size=8)
    for _ in range(30):
        oldest = s.population[0][0] if len(s.population) == 8 else None
        g = s.ask()
        if oldest is not None:
            assert flat.parents[-1] == oldest
        s.tell(g, 1.0)


def test_evolution_child_is_a_mutation_of_its_parent(score):
    space = SpySpace()
    s = RegularizedEvolution(space, seed=5, population_size=5, tournament_size=2)
    drive(s, 5, score)
    for _ in range(30):
        g = s.ask()
        parent = space.parents[-1]
        assert sum(a != b for a, b in zip(parent.ops, g.ops)) == 1  # one NB201 edge changed
        s.tell(g, score(g))


def test_mutation_of_nothing_told_is_an_ordering_error():
    s = RegularizedEvolution("nb201", seed=0, population_size=2, tournament_size=1)
    s.ask(), s.ask()
    with pytest.raises(SearchError, match="tell the results of the initial population"):
        s.ask()


POP_RANGE = r"'population_size' parameter of RegularizedEvolution must be an int in the range \[1, inf\)\. Got 0 "
TOURNAMENT_RANGE = (
    r"'tournament_size' parameter of RegularizedEvolution must be an int in the range \[1, 20\]\. Got 21 "
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 0}, POP_RANGE),
        ({"population_size": 2.5}, r"'population_size'.*Got 2.5"),
        ({"tournament_size": 21}, TOURNAMENT_RANGE),
        ({"tournament_size": 0}, r"'tournament_size'.*\[1, 20\]"),
        ({"population_size": 4, "tournament_size": 5}, r"'tournament_size'.*\[1, 4\]"),
        ({"tournament_size": True}, r"'tournament_size'"),
        ({"seed": None}, r"'seed' parameter of RegularizedEvolution must be an int >= 0"),
        ({"seed": -1}, r"'seed'"),
        ({"seed": 1.0}, r"'seed'"),
    ],
)
def test_config_errors_name_the_key(kwargs, message):
    args = {"space": "nb201", "seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=message):
        RegularizedEvolution(**args)


def test_random_search_seed_errors_and_unknown_space():
    with pytest.raises(ConfigError, match="'seed' parameter of RandomSearch"):
        RandomSearch("nb201", seed=None)
    with pytest.raises(UnknownNameError, match="unknown search space 'nope'"):
        RandomSearch("nope", seed=0)
    with pytest.raises(TypeError):
        RandomSearch("nb201", seed=0, population_size=5)  # no argument accepted and ignored
    with pytest.raises(ConfigError, match=r"got unknown argument\(s\) \['population_size'\]"):
        get_strategy("random", space="nb201", seed=0, population_size=5)


# ----------------------------------------------------------------------- exhaustion
@pytest.mark.parametrize("name", STRATEGIES)
def test_small_space_exhausted_without_duplicates(name, chain_space, score):
    space = chain_space(("a", "b", "c"))
    kwargs = {"population_size": 2, "tournament_size": 1} if name == "regularized_evolution" else {}
    s = get_strategy(name, space=space, seed=0, **kwargs)
    asked = drive(s, 3, score)
    assert sorted(g.ops[1] for g in asked) == ["a", "b", "c"]
    with pytest.raises(SearchSpaceExhaustedError, match="all 3 architectures of space 'chain' have been asked"):
        s.ask()


def test_exhaustion_of_a_space_that_cannot_enumerate(chain_space, score):
    s = RandomSearch(chain_space(("a", "b"), enumerable=False), seed=0)
    drive(s, 2, score)
    with pytest.raises(SearchSpaceExhaustedError, match="cannot be enumerated"):
        s.ask()


def test_resampling_falls_back_to_the_unseen_architectures(chain_space, score, caplog):
    class Biased(chain_space):
        def _sample(self, rng):
            return self.chain("a")  # a sampler that never finds the rest

    class QuickRandomSearch(RandomSearch):
        _SAMPLE_RETRIES = 20

    space = Biased(tuple("abcdefgh"))
    lasts = set()
    for seed in range(10):
        s = QuickRandomSearch(space, seed=seed)
        with caplog.at_level(logging.INFO, logger="metanas.search"):
            asked = drive(s, 8, score)
        assert asked[0].ops[1] == "a" and sorted(g.ops[1] for g in asked) == list("abcdefgh")
        lasts.add(asked[-1].ops[1])
    assert "20 samples of space 'chain' were all asked already" in caplog.text
    assert len(lasts) > 1  # drawn at random (with the strategy's generator), not in enumeration order


@pytest.mark.parametrize("name", STRATEGIES)
def test_pickled_strategy_continues_identically(name, score):
    import pickle

    s = get_strategy(name, space="nbg", seed=4)
    drive(s, 30, score)
    pending = s.ask()
    copy = pickle.loads(pickle.dumps(s))
    for strategy in (s, copy):
        strategy.tell(pending, score(pending))
    assert drive(copy, 40, score) == drive(s, 40, score)


def test_evolution_falls_back_to_a_random_sample_when_mutations_repeat(score, caplog):
    class StuckSpace(NB201Space):
        """Every mutation gives the same cell."""

        stuck = NB201Space().from_ops(["avg_pool_3x3"] * 6)

        def mutate(self, graph, rng):
            return self.stuck

    class QuickEvolution(RegularizedEvolution):
        _MUTATION_RETRIES = 5

    space = StuckSpace()
    s = QuickEvolution(space, seed=0, initial_population=[space.stuck], population_size=3, tournament_size=2)
    with caplog.at_level(logging.INFO, logger="metanas.search"):
        asked = drive(s, 10, score)
    assert asked[0] == space.stuck and len({g.identity for g in asked}) == 10
    assert "5 mutations of a parent were all asked already; using a random sample instead" in caplog.text


def test_uses_history_names_the_strategies_that_learn_from_past_tasks():
    from metanas.search import uses_history

    assert uses_history("transfer-bo")
    assert not uses_history("regularized_evolution") and not uses_history("random")
    with pytest.raises(UnknownNameError, match="transfer-bo"):
        uses_history("no-such-search")
