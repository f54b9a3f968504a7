"""Speed of `ModelGraph.canonical_hash` on large and adversarial graphs (a benchmark, not a test).

Times (best of ``--repeats``, after building the graph) the canonical hash of:

* ``diamonds``: a chain of diamonds (a node feeding two operations that join in a third),
  the shape on which the old string form grew as ``2^k``;
* ``chain``: a plain chain of operations;
* ``random``: a random DAG with local edges, a quarter of its nodes ``skip_connect`` and
  ``none`` (identity and zero operations, which the canonical form treats specially).

All graphs have ``--nodes`` nodes (default 10,000). The target is < 1 s for each.

Run: ``python -m benchmarks.speed_graph``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from metanas.graph import INPUT, OUTPUT, ModelGraph

__all__ = ["chain", "diamond_chain", "random_dag"]


def diamond_chain(num_diamonds: int, ops: tuple[str, str, str] = ("conv", "pool", "conv")) -> ModelGraph:
    """``num_diamonds`` chained diamonds: ``x -> a, x -> b, (a, b) -> j``, then ``j`` is the next ``x``.

    Args:
        num_diamonds: diamonds in the chain (the graph has ``3 * num_diamonds + 2`` nodes).
        ops: labels of the two branches and of the join.
    """
    labels = [INPUT]
    edges: list[tuple[int, int]] = []
    prev = 0
    for _ in range(num_diamonds):
        a, b, j = len(labels), len(labels) + 1, len(labels) + 2
        labels += list(ops)
        edges += [(prev, a), (prev, b), (a, j), (b, j)]
        prev = j
    labels.append(OUTPUT)
    edges.append((prev, len(labels) - 1))
    return ModelGraph(tuple(labels), tuple(edges))


def chain(num_nodes: int, op: str = "conv") -> ModelGraph:
    """A chain ``input -> op -> ... -> op -> output`` of ``num_nodes`` nodes in all."""
    labels = (INPUT, *([op] * (num_nodes - 2)), OUTPUT)
    return ModelGraph(labels, tuple((i, i + 1) for i in range(num_nodes - 1)))


def random_dag(num_nodes: int, seed: int = 0, window: int = 50) -> ModelGraph:
    """A random DAG: each node takes one to three inputs from the ``window`` nodes before it.

    Args:
        num_nodes: nodes in all, input and output included.
        seed: seed of the generator.
        window: how far back an edge may reach.
    """
    rng = np.random.default_rng(seed)
    n = num_nodes
    edges: set[tuple[int, int]] = set()
    for v in range(1, n - 1):
        low = max(0, v - window)
        for u in rng.integers(low, v, size=int(rng.integers(1, 4))):
            edges.add((int(u), v))
    has_successor = {u for u, _ in edges}
    edges |= {(v, n - 1) for v in range(1, n - 1) if v not in has_successor}
    vocabulary = ("conv", "pool", "skip_connect", "none")
    labels = [vocabulary[i] for i in rng.choice(4, size=n - 2, p=[0.4, 0.35, 0.15, 0.1])]
    return ModelGraph((INPUT, *labels, OUTPUT), tuple(edges))


def _time_hash(graph: ModelGraph, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        fresh = ModelGraph(graph.ops, graph.edges)  # canonical_hash is cached per object
        t0 = time.perf_counter()
        _ = fresh.canonical_hash
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10_000, help="nodes per graph (default 10,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timings per graph; the best is shown")
    args = parser.parse_args(argv)
    if args.nodes < 5 or args.repeats < 1:
        parser.error("--nodes must be >= 5 and --repeats >= 1")
    graphs = {
        "diamonds": diamond_chain((args.nodes - 2) // 3),
        "chain": chain(args.nodes),
        "random": random_dag(args.nodes),
    }
    print(f"{'graph':<10}{'nodes':>8}{'edges':>8}{'hash s':>10}")
    slowest = 0.0
    for name, graph in graphs.items():
        seconds = _time_hash(graph, args.repeats)
        slowest = max(slowest, seconds)
        print(f"{name:<10}{graph.num_nodes:>8}{len(graph.edges):>8}{seconds:>10.4f}")
    print(f"slowest: {slowest:.4f} s ({'within' if slowest < 1.0 else 'OVER'} the 1 s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
