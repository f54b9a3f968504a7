"""Faithfulness of the built NAS-Bench-Graph networks: parameter counts against the benchmark's.

For every architecture of a NAS-Bench-Graph table, the network `metanas.networks` makes (with
the dataset's feature and class counts and its `NBG_PRESETS` setting) is counted and
compared with the table's ``para`` (millions of parameters, 6 decimals: an exact integer).

Networks are built on PyTorch's ``meta`` device (shapes only, no memory). Parameter shapes
depend only on the multiset of ``(operation, input width)`` of the computing nodes, the width
of the concatenated outputs and the dataset settings, so one network is built per distinct
such signature and its count holds for every architecture that shares it.

Run: ``python -m benchmarks.build_params [--tasks nbg/cora,...] [--every K]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Agreement:
    """Parameter-count agreement on one task.

    Attributes:
        task_id: the NAS-Bench-Graph task.
        checked: architectures compared.
        matches: those whose built network has exactly the recorded count.
        mismatches: ``(link, ops, built, recorded)`` of the others (canonical form).
        networks_built: distinct networks built (see the module docstring).
    """

    task_id: str
    checked: int = 0
    matches: int = 0
    mismatches: list[tuple] = field(default_factory=list)
    networks_built: int = 0


def nbg_agreement(task_id: str, rows: Sequence[int] | None = None) -> Agreement:
    """Compare built and recorded parameter counts on the table rows ``rows`` (``None``: all).

    Raises:
        UnknownTaskError: not a NAS-Bench-Graph task.
    """
    import torch

    from metanas.benchmarks import get_suite
    from metanas.networks import DataSpec, build_network, count_parameters
    from metanas.networks._gnn import NBG_PRESETS, canonical_arch, layout

    suite = get_suite("nasbench-graph")
    task = suite.task(task_id)
    table = suite.table(task.task_id)
    space = table.space
    name = task.task_id.split("/", 1)[1]
    dim, num_pre, _ = NBG_PRESETS[name]
    spec = DataSpec("graph", task.num_classes, num_features=int(task.meta_features["num_node_features"]))
    recorded = table.metrics["params"]
    out = Agreement(task.task_id)
    counts: dict[tuple, int] = {}
    for i in range(len(table.graphs)) if rows is None else rows:
        graph = table.graphs[i]
        link, ops = canonical_arch(*space.to_arch(graph))
        _, width, outputs = layout(link, ops, spec.num_features, dim, num_pre)
        signature = (tuple(sorted((op, width[src]) for op, src in zip(ops, link))), sum(width[o] for o in outputs))
        if signature not in counts:
            with torch.device("meta"):
                counts[signature] = count_parameters(build_network(graph, space, spec, preset=name))
        built, want = counts[signature], round(float(recorded[i]) * 1e6)
        out.checked += 1
        if built == want:
            out.matches += 1
        else:
            out.mismatches.append((link, ops, built, want))
    out.networks_built = len(counts)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (default: all 9)")
    parser.add_argument("--every", type=int, default=1, help="check every K-th table row (default 1: all)")
    args = parser.parse_args(argv)
    from metanas.benchmarks import get_suite

    tasks = args.tasks.split(",") if args.tasks else get_suite("nasbench-graph").task_ids()
    total = matched = 0
    print(f"{'task':<16}{'matches':>9}{'checked':>9}{'networks':>10}{'seconds':>9}")
    for task_id in tasks:
        t0 = time.perf_counter()
        n = len(get_suite("nasbench-graph").table(task_id).graphs)
        res = nbg_agreement(task_id, range(0, n, max(1, args.every)))
        total += res.checked
        matched += res.matches
        print(f"{res.task_id:<16}{res.matches:>9}{res.checked:>9}{res.networks_built:>10}{time.perf_counter() - t0:>9.1f}",
              flush=True)
        for link, ops, built, want in res.mismatches[:5]:
            print(f"  mismatch link={list(link)} ops={list(ops)} built={built} recorded={want}")
    print(f"{'all':<16}{matched:>9}{total:>9}")
    return 0 if matched == total else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
