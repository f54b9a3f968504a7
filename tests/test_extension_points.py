"""Adding a space, a strategy or an evaluator is one class plus one registration line, from outside the
package; each is then used by name through the library's own entry points (`run_search`, LOTO)."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.benchmarks import SUITES
from metanas.benchmarks.loto import LOTO_METHODS, LotoSettings, run_loto
from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.search import (
    EVALUATORS,
    STRATEGIES,
    EvaluationResult,
    Evaluator,
    SearchStrategy,
    get_evaluator,
    get_strategy,
    run_search,
)
from metanas.spaces import SPACES, SearchSpace, get_space

OPS = ("a", "b", "c")


class ChainSpace(SearchSpace):
    """Chains of 4 operations from ``OPS`` (81 architectures)."""

    id = "toy-chain"
    ops = OPS

    def from_ops(self, ops) -> ModelGraph:
        n = len(ops) + 2
        return ModelGraph((INPUT, *ops, OUTPUT), tuple((i, i + 1) for i in range(n - 1)), self.id)

    def _sample(self, rng):
        return self.from_ops([OPS[i] for i in rng.integers(0, 3, size=4)])

    def _mutate(self, graph, rng):
        ops = list(graph.ops[1:-1])
        ops[int(rng.integers(0, 4))] = OPS[int(rng.integers(0, 3))]
        return self.from_ops(ops)

    def _check(self, graph):
        if graph.num_nodes != 6:
            raise InvalidArchitectureError(f"a toy chain has 6 nodes, got {graph.num_nodes}")


class HillClimb(SearchStrategy):
    """The initial population, then mutations of the best architecture told so far."""

    name = "toy-hill-climb"

    def __init__(self, space, seed, initial_population=None, *, restarts: int = 0):
        super().__init__(space, seed, initial_population)
        self.restarts = restarts
        self.best: tuple[float, ModelGraph] | None = None

    def _propose(self):
        graph = self._next_initial()
        if graph is not None:
            return graph
        if self.best is None:
            return self._sample_unseen()
        for _ in range(50):
            child = self.space.mutate(self.best[1], self._rng)
            if not self.is_seen(child):
                return child
        return self._sample_unseen()

    def _on_tell(self, graph, value):
        if self.best is None or value > self.best[0]:
            self.best = (value, graph)


class CountA(Evaluator):
    """Objective: how many operations are ``a`` (the best chain is ``aaaa``)."""

    name = "toy-count-a"
    objective = "num_a"
    test_metric = "num_a"

    def evaluate(self, graph):
        n = float(sum(op == "a" for op in graph.ops))
        return EvaluationResult(n, {"num_a": n})


SPACES.register("toy-chain", ChainSpace)
STRATEGIES.register("toy-hill-climb", HillClimb)
EVALUATORS.register("toy-count-a", CountA)


def test_toy_space_strategy_and_evaluator_by_name_end_to_end():
    space = get_space("toy-chain")
    assert isinstance(space, ChainSpace) and "toy-chain" in SPACES.names()
    strategy = get_strategy("toy-hill-climb", space="toy-chain", seed=0, restarts=1)
    result = run_search(strategy, get_evaluator("toy-count-a"), budget=30)
    assert result.best().graph.ops == (INPUT, "a", "a", "a", "a", OUTPUT)
    assert len(result.evaluations) == 30
    # Random search on the same space and budget does worse in most seeds: the toy strategy is what ran.
    random_best = [run_search(get_strategy("random", space="toy-chain", seed=s), CountA(), budget=8)
                   .best_so_far[-1] for s in range(10)]
    climb_best = [run_search(get_strategy("toy-hill-climb", space="toy-chain", seed=s), CountA(), budget=8)
                  .best_so_far[-1] for s in range(10)]
    assert np.mean(climb_best) > np.mean(random_best)


def test_a_loto_run_with_the_toy_strategy(nb201_dir):
    base = {"suite": "nb201", "tasks": ("cifar10",), "methods": ("random",), "seeds": 2, "history_seeds": 1,
            "budget": 40, "population_size": 5, "tournament_size": 2, "workers": 1, "nb201_dir": str(nb201_dir)}
    options = {"random": {"strategy": "toy-hill-climb", "strategy_options": {"restarts": 2}}}
    toy = run_loto(LotoSettings(**base, method_options=options))
    assert toy.summary["settings"]["method_options"] == options
    rea = run_loto(LotoSettings(**base))
    assert [c.tolist() for _, c in toy.curves] != [c.tolist() for _, c in rea.curves]
    assert len(toy.runs) == 2


def test_registries_refuse_duplicates_and_name_their_entry_point_groups():
    with pytest.raises(ConfigError, match="'toy-chain' is already registered"):
        SPACES.register("toy-chain", lambda: ChainSpace())
    with pytest.raises(UnknownNameError, match=r"unknown search space 'toy'; choose one of .*'toy-chain'"):
        get_space("toy")
    groups = {r.entry_point_group for r in (SPACES, STRATEGIES, EVALUATORS, SUITES, LOTO_METHODS)}
    assert groups == {"metanas.spaces", "metanas.strategies", "metanas.evaluators", "metanas.suites",
                      "metanas.loto_methods"}
