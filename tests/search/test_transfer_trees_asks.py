"""`TransferBO` with the tree rankers (``surrogate="trees"``, the default) asks exactly what it
asked before the Bayesian surrogate was added: the asks were recorded at commit c7c26b0 (the
strategy before the change) for fixed seeds in ``data/transfer_trees_asks.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from metanas.search import PastTask, TransferBO
from metanas.spaces import DAGSpace

from .conftest import pseudo_score, transfer_variant

RECORDED = json.loads((Path(__file__).parent / "data" / "transfer_trees_asks.json").read_text())["asks"]


def _asks(strategy, n, score):
    out = []
    for _ in range(n):
        graph = strategy.ask()
        strategy.tell(graph, score(graph))
        out.append(strategy.space.key(graph))
    return out


@pytest.fixture(scope="module")
def recorded_history(nb201_suite):
    table = nb201_suite.table("nb201/cifar100")
    rows = np.random.default_rng(0).choice(len(table), 400, replace=False)
    graphs = tuple(table.graphs[i] for i in rows)
    return [PastTask("faithful", graphs, table.values[rows]), PastTask("misleading", graphs, -table.values[rows])]


@pytest.mark.parametrize("case", ["nb201_default", "nb201_plain_batch4", "nb201_cold"])
def test_trees_reproduce_the_recorded_asks_on_nb201(cifar10, recorded_history, case):
    def table_score(graph):
        return float(cifar10.lookup(graph)[cifar10.objective])

    strategy, n = {
        "nb201_default": lambda: (TransferBO(cifar10.space, seed=0, history=recorded_history), 60),
        "nb201_plain_batch4": lambda: (transfer_variant(STACK_PAST=False)(
            cifar10.space, seed=3, history=recorded_history[:1], design_share=0.0, batch_size=4), 50),
        "nb201_cold": lambda: (TransferBO(cifar10.space, seed=1), 40),
    }[case]()
    assert _asks(strategy, n, table_score) == RECORDED[case]


def test_trees_reproduce_the_recorded_asks_on_a_sampled_space():
    space = DAGSpace(["a", "b", "c"], max_nodes=4, space_id="dag-transfer-test")
    rng = np.random.default_rng(1)
    history = []
    for t in range(2):
        graphs = tuple(space.sample(rng) for _ in range(40))
        history.append(PastTask(f"past{t}", graphs, [pseudo_score(g) * (1 if t == 0 else -1) for g in graphs]))
    strategy = transfer_variant(NUM_CANDIDATES=200)(space, seed=0, history=history, population_size=10,
                                                    tournament_size=3, batch_size=5, design_share=1.0)
    assert _asks(strategy, 50, pseudo_score) == RECORDED["dag_sampled"]
