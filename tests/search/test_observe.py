"""`SearchStrategy.observe`: results evaluated elsewhere (other workers) enter the strategy."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.search import get_strategy
from metanas.spaces import get_space


def test_observed_architectures_are_never_proposed_and_values_reach_the_population():
    space = get_space("nb201")
    strategy = get_strategy("regularized_evolution", space=space, seed=0, population_size=4, tournament_size=2)
    rng = np.random.default_rng(1)
    running = space.sample(rng)
    done = [space.sample(rng) for _ in range(4)]
    assert strategy.observe(running) is True and strategy.observe(running) is False
    for i, g in enumerate(done):
        assert strategy.observe(g, float(i)) is True
    assert strategy.observe(done[0], 9.0) is False  # told once
    assert [v for _, v in strategy.population] == [0.0, 1.0, 2.0, 3.0]
    assert strategy.is_seen(running) and running in strategy.pending
    assert strategy.observe(running, 5.0) is True and running not in strategy.pending
    asked = [strategy.ask() for _ in range(30)]
    keys = {space.key(g) for g in asked}
    assert len(keys) == 30 and not keys & {space.key(g) for g in [running, *done]}


def test_observe_checks_its_input():
    strategy = get_strategy("random", space="nb201", seed=0)
    with pytest.raises(InvalidArchitectureError):
        strategy.observe(get_space("nbg").sample(np.random.default_rng(0)), 1.0)
    with pytest.raises(ConfigError, match="not NaN"):
        strategy.observe(get_space("nb201").sample(np.random.default_rng(0)), float("nan"))
    assert strategy.num_asked == 0  # a refused value changes nothing
