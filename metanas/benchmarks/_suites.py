"""Benchmark suites: tabular NAS benchmarks as tasks + search space + result tables.

* ``nb201`` — NAS-Bench-201 from the CSV tables in a directory (option, or the environment
  variable ``METANAS_NB201_DIR``; default ``../shared/data/nasbench201`` next to the
  repository). Metrics ``val_acc`` (12-epoch validation, the default objective),
  ``test_acc`` (12-epoch test) and ``test_acc_200ep`` (200-epoch test; choosing it as the
  objective means optimising test accuracy).
* ``nasbench-graph`` — NAS-Bench-Graph from the ``nas-bench-graph`` package. Metrics
  ``val_acc`` (``valid_perf``), ``test_acc`` (``perf``; ROC-AUC for proteins),
  ``latency`` (s) and ``params`` (millions).

Task ids: ``nb201/cifar10``, ``nb201/cifar100``, ``nb201/imagenet16-120`` and
``nbg/<name>`` for the nine NAS-Bench-Graph datasets.
"""

from __future__ import annotations

import csv
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from metanas.exceptions import (
    BenchmarkDataError,
    ConfigError,
    InvalidArchitectureError,
    UnknownSuiteError,
    UnknownTaskError,
)
from metanas.graph import ModelGraph
from metanas.registry import Registry
from metanas.spaces import NasBenchGraphSpace, NB201Space, SearchSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.validation import Direction

logger = logging.getLogger(__name__)

__all__ = [
    "SUITES",
    "BenchmarkSuite",
    "BenchmarkTable",
    "NB201Suite",
    "NasBenchGraphSuite",
    "default_nb201_dir",
    "get_suite",
    "register_suite",
    "suite_names",
    "suite_of_task",
]

NB201_ACC_FILE = "nb201_accuracies.csv"
NB201_200_FILE = "nb201_200epoch_test.csv"


@dataclass(eq=False)
class BenchmarkTable:
    """Every architecture of a task with its measured metrics.

    Attributes:
        task: the task.
        space: its search space.
        graphs: one representative graph per row.
        keys: the space's key of each row (`SearchSpace.key`).
        metrics: metric name -> float array aligned with ``graphs``.
        objective: the metric a search optimises.
        test_metric: the metric reported for the returned architecture.
        direction: ``"maximize"`` or ``"minimize"`` for the objective.

    Two hooks say what one evaluation of a row sees and costs; a subclass with per-seed values
    or measured costs overrides them (`metanas.benchmarks.NB201PyPITable`):

    * `observe` — the objective one evaluation observes (default: the table value, no noise);
    * `cost` — what one evaluation costs in `cost_unit` (default ``None``: unknown).
    """

    #: Unit of `cost` (``"seconds"`` or ``"epochs"``, as the experiment database records costs).
    cost_unit = "seconds"

    task: TaskMetadata
    space: SearchSpace
    graphs: list[ModelGraph]
    keys: list[str]
    metrics: dict[str, np.ndarray]
    objective: str = "val_acc"
    test_metric: str = "test_acc"
    direction: str = "maximize"
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.objective not in self.metrics:
            raise BenchmarkDataError(f"objective {self.objective!r} is not a metric of {self.task.task_id}: {list(self.metrics)}")
        self.direction = Direction.parse(self.direction, f"the direction of table {self.task.task_id}",
                                         error=BenchmarkDataError).value
        if not self._index:
            self._index = {k: i for i, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.graphs)

    @property
    def values(self) -> np.ndarray:
        """The objective of every row."""
        return self.metrics[self.objective]

    def row(self, graph: ModelGraph) -> int:
        """Row of ``graph`` (any member of its key class).

        Raises:
            InvalidArchitectureError: the graph is not in the space or not in the table.
        """
        key = self.space.key(graph)
        try:
            return self._index[key]
        except KeyError:
            raise InvalidArchitectureError(
                f"architecture {graph!r} has no entry in the {self.task.task_id} table"
            ) from None

    def lookup(self, graph: ModelGraph) -> dict[str, float]:
        """All metrics of ``graph``."""
        i = self.row(graph)
        return {name: float(v[i]) for name, v in self.metrics.items()}

    def _row_of(self, graph: ModelGraph | int) -> int:
        return int(graph) if isinstance(graph, (int, np.integer)) else self.row(graph)

    @property
    def noisy(self) -> bool:
        """Whether `observe` draws noise (a subclass overrides it); ``False``: it is the table value."""
        return type(self).observe is not BenchmarkTable.observe

    def observe(self, graph: ModelGraph | int, rng: np.random.Generator) -> float:
        """The objective one evaluation of ``graph`` (or a row index) observes, drawn with ``rng``.

        The default is the table value (a table without noise leaves ``rng`` untouched); a table
        with per-seed values draws one (`metanas.benchmarks.NB201PyPITable.observe`).

        Raises:
            InvalidArchitectureError: ``graph`` has no row in the table.
        """
        return float(self.values[self._row_of(graph)])

    def cost(self, graph: ModelGraph | int) -> float | None:
        """What one evaluation of ``graph`` (or a row index) costs, in `cost_unit`; ``None``: unknown
        (the default; a table with measured training times overrides it)."""
        self._row_of(graph)
        return None

    def sign(self) -> float:
        """+1 when the objective is maximised, -1 when minimised."""
        return Direction(self.direction).sign

    def best_value(self) -> float:
        """Best objective value of the table."""
        v = self.values
        return float(v.max() if self.direction == Direction.MAXIMIZE else v.min())

    def quantile_target(self, top_fraction: float) -> float:
        """Objective value at the top ``top_fraction`` quantile (e.g. 0.001 for the top 0.1%)."""
        maximize = self.direction == Direction.MAXIMIZE
        q = 1.0 - top_fraction if maximize else top_fraction
        return float(np.quantile(self.values, q, method="higher" if maximize else "lower"))


class BenchmarkSuite(ABC):
    """A tabular benchmark: tasks, their spaces and their result tables."""

    name: str
    #: Task ids used by default (e.g. the tasks of one shared space).
    default_tasks: tuple[str, ...]

    @abstractmethod
    def task_ids(self) -> list[str]:
        """Every task id of the suite."""

    @abstractmethod
    def task(self, task_id: str) -> TaskMetadata:
        """Metadata of a task; raises `UnknownTaskError`."""

    @abstractmethod
    def space(self, task_id: str) -> SearchSpace:
        """The search space of a task."""

    @abstractmethod
    def table(self, task_id: str, objective: str | None = None) -> BenchmarkTable:
        """The result table of a task (cached)."""

    def tasks(self) -> list[TaskMetadata]:
        """Metadata of every task."""
        return [self.task(t) for t in self.task_ids()]

    def resolve(self, name: str) -> str:
        """Accept ``nbg/cora`` or ``cora``; raise `UnknownTaskError` listing the valid ids."""
        ids = self.task_ids()
        if name in ids:
            return name
        prefixed = [t for t in ids if t.split("/", 1)[1] == name]
        if prefixed:
            return prefixed[0]
        raise UnknownTaskError(f"unknown task {name!r} in suite {self.name!r}; choose one of {ids}")


def _package_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("metanas.benchmarks").joinpath("data", name).read_text()
    return list(csv.DictReader(text.splitlines()))


def default_nb201_dir() -> Path:
    """``METANAS_NB201_DIR`` if set, else ``../shared/data/nasbench201`` beside the repository."""
    env = os.environ.get("METANAS_NB201_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "data" / "nasbench201"


# ============================================================================ NAS-Bench-201
def nb201_task(suite: str, row: dict[str, str]) -> TaskMetadata:
    """A NAS-Bench-201 task of ``suite`` from its row of the packaged ``nb201_tasks.csv`` (the id
    ``<suite>/<task>``; shared by every suite of NAS-Bench-201's datasets)."""
    return TaskMetadata(
        task_id=f"{suite}/{row['task']}",
        dataset_name=row["dataset_name"],
        num_samples=int(row["num_samples"]),
        num_classes=int(row["num_classes"]),
        input_size=(int(row["channels"]), int(row["height"]), int(row["width"])),
        problem_type=row["problem_type"],
    )


class NB201Tasks(BenchmarkSuite):
    """The tasks of NAS-Bench-201's three datasets in its cell space: the base of every suite of
    NAS-Bench-201 tables (ids ``<suite name>/<task>`` from the packaged ``nb201_tasks.csv``); a
    subclass reads its tables.
    """

    def __init__(self) -> None:
        self._space = NB201Space()
        self._meta = {f"{self.name}/{r['task']}": r for r in _package_csv("nb201_tasks.csv")}

    def task_ids(self) -> list[str]:
        return list(self._meta)

    def task(self, task_id: str) -> TaskMetadata:
        return nb201_task(self.name, self._meta[self.resolve(task_id)])

    def space(self, task_id: str) -> SearchSpace:
        self.resolve(task_id)
        return self._space


class NB201Suite(NB201Tasks):
    """NAS-Bench-201 (3 image tasks, 15,625 cells each) from its CSV tables.

    Args:
        data_dir: folder with ``nb201_accuracies.csv`` and ``nb201_200epoch_test.csv``
            (default: `default_nb201_dir`).
    """

    name = "nb201"
    default_tasks = ("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120")
    objectives = ("val_acc", "test_acc", "test_acc_200ep")

    def __init__(self, data_dir: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.data_dir = Path(data_dir) if data_dir is not None else default_nb201_dir()

    def table(self, task_id: str, objective: str | None = None) -> BenchmarkTable:
        task_id = self.resolve(task_id)
        objective = objective or "val_acc"
        if objective not in self.objectives:
            raise BenchmarkDataError(f"NAS-Bench-201 objective must be one of {list(self.objectives)}, got {objective!r}")
        graphs, keys, columns = _nb201_tables(str(self.data_dir.resolve()))
        r = self._meta[task_id]
        metrics = {
            "val_acc": columns[r["val_column"]],
            "test_acc": columns[r["test_column"]],
            "test_acc_200ep": columns[r["test_200ep_column"]],
        }
        test_metric = "test_acc_200ep" if objective == "test_acc_200ep" else "test_acc"
        return BenchmarkTable(self.task(task_id), self._space, graphs, keys, metrics, objective, test_metric)

    def unique_strings(self) -> list[str]:
        """The 200-epoch table's ``UniqueString`` of each row (row i = index i)."""
        return _nb201_tables(str(self.data_dir.resolve()))[2]["UniqueString"]


_NB201_ACC_COLUMNS = ("arch", "cellstr", "cifar10-test", "cifar10-val", "cifar100-test", "cifar100-val",
                      "imagenet-test", "imagenet-val")
_NB201_200_COLUMNS = ("CIFAR10TestAccuracy200Epochs", "CIFAR100TestAccuracy200Epochs",
                      "ImageNetTestAccuracy200Epochs", "ArchitectureString", "UniqueString")


@lru_cache(maxsize=4)
def _nb201_tables(data_dir: str):
    d = Path(data_dir)
    acc_path, ep_path = d / NB201_ACC_FILE, d / NB201_200_FILE
    acc = _read_table(acc_path, _NB201_ACC_COLUMNS)
    ep = _read_table(ep_path, _NB201_200_COLUMNS)
    if len(acc) != 15625 or len(ep) != 15625:
        raise BenchmarkDataError(
            f"NAS-Bench-201 tables must have 15,625 rows each; {acc_path} has {len(acc)}, {ep_path} has {len(ep)}"
        )
    space = NB201Space()
    graphs: list[ModelGraph] = []
    for i, (a, e) in enumerate(zip(acc, ep)):
        if int(a["arch"]) != i or a["cellstr"] != e["ArchitectureString"]:
            raise BenchmarkDataError(
                f"NAS-Bench-201 tables disagree at row {i}: {acc_path} and {ep_path} must list the same cells in index order"
            )
        try:
            graphs.append(space.decode(a["cellstr"]))
        except InvalidArchitectureError as exc:
            raise BenchmarkDataError(f"{acc_path} row {i}: bad 'cellstr': {exc}") from exc
    columns: dict = {}
    for name in _NB201_ACC_COLUMNS[2:]:
        columns[name] = _float_column(acc, name, acc_path)
    for name in _NB201_200_COLUMNS[:3]:
        columns[name] = _float_column(ep, name, ep_path)
    columns["UniqueString"] = [e["UniqueString"] for e in ep]
    keys = [g.identity for g in graphs]
    return graphs, keys, columns


def _read_table(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise BenchmarkDataError(
            f"NAS-Bench-201 table {path} not found; pass --nb201-dir DIR or set METANAS_NB201_DIR to the folder "
            f"holding {NB201_ACC_FILE} and {NB201_200_FILE}"
        )
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise BenchmarkDataError(
                f"{path} lacks the column(s) {missing}; expected columns {list(columns)}"
            )
        return list(reader)


def _float_column(rows: list[dict[str, str]], name: str, path: Path) -> np.ndarray:
    try:
        out = np.array([float(r[name]) for r in rows], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BenchmarkDataError(f"{path}: column {name!r} must hold numbers ({exc})") from exc
    if not np.all(np.isfinite(out)):
        raise BenchmarkDataError(f"{path}: column {name!r} holds non-finite values")
    return out


# ============================================================================ NAS-Bench-Graph
class NasBenchGraphSuite(BenchmarkSuite):
    """NAS-Bench-Graph (9 node-level graph tasks) from the ``nas-bench-graph`` package.

    The 8 tasks of the 9-op space are the default; ``nbg/proteins`` has its own 5-op space.
    """

    name = "nasbench-graph"
    default_tasks = tuple(f"nbg/{t}" for t in ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv"))
    objectives = ("val_acc", "test_acc", "latency", "params")

    def __init__(self) -> None:
        self._meta = {f"nbg/{r['task']}": r for r in _package_csv("nasbench_graph_tasks.csv")}

    def task_ids(self) -> list[str]:
        return list(self._meta)

    def task(self, task_id: str) -> TaskMetadata:
        r = self._meta[self.resolve(task_id)]
        feats = {k: float(r[k]) for k in ("num_nodes", "num_edges", "num_node_features", "num_classes")}
        return TaskMetadata(
            task_id=f"nbg/{r['task']}",
            dataset_name=r["dataset_name"],
            num_samples=int(r["num_nodes"]),
            num_classes=int(r["num_classes"]),
            input_size=None,
            problem_type=r["problem_type"],
            meta_features=feats,
        )

    def space(self, task_id: str) -> SearchSpace:
        r = self._meta[self.resolve(task_id)]
        return get_space("nbg-proteins" if r["op_set"] == "proteins" else "nbg")

    def table(self, task_id: str, objective: str | None = None) -> BenchmarkTable:
        task_id = self.resolve(task_id)
        objective = objective or "val_acc"
        if objective not in self.objectives:
            raise BenchmarkDataError(f"NAS-Bench-Graph objective must be one of {list(self.objectives)}, got {objective!r}")
        space = self.space(task_id)
        graphs, keys, metrics = _nbg_table(task_id.split("/", 1)[1], space.id)
        direction = "minimize" if objective in ("latency", "params") else "maximize"
        return BenchmarkTable(self.task(task_id), space, graphs, keys, metrics, objective, "test_acc", direction)


@cache
def _representatives(space_id: str) -> dict[str, ModelGraph]:
    space = get_space(space_id)
    assert isinstance(space, NasBenchGraphSpace)
    return {space.key(g): g for g in space.enumerate()}


@lru_cache(maxsize=16)
def _nbg_table(name: str, space_id: str):
    try:
        from nas_bench_graph import light_read
    except ImportError as exc:  # pragma: no cover - dependency
        raise BenchmarkDataError("NAS-Bench-Graph needs the package 'nas-bench-graph' (pip install nas-bench-graph)") from exc
    try:
        bench = light_read(name)  # pickle from the installed package only (see the package's README)
    except FileNotFoundError as exc:
        raise BenchmarkDataError(f"the nas-bench-graph package has no table for {name!r}") from exc
    reps = _representatives(space_id)
    keys = sorted((str(k) for k in bench), key=int)
    graphs, kept = [], []
    for k in keys:
        g = reps.get(k)
        if g is None:
            raise BenchmarkDataError(f"NAS-Bench-Graph {name}: key {k} is not an architecture of space {space_id!r}")
        graphs.append(g)
        kept.append(k)
    rows = [bench[int(k)] for k in kept]
    metrics = {
        "val_acc": np.array([r["valid_perf"] for r in rows], dtype=np.float64),
        "test_acc": np.array([r["perf"] for r in rows], dtype=np.float64),
        "latency": np.array([r["latency"] for r in rows], dtype=np.float64),
        "params": np.array([r["para"] for r in rows], dtype=np.float64),
    }
    return graphs, kept, metrics


# ============================================================================ registry
#: The benchmark suites by name (entry-point group ``metanas.suites``); ``get_suite(name, **kwargs)``
#: passes the factory's own arguments (``nb201`` takes ``nb201_dir``, the folder of its tables).
SUITES: Registry[BenchmarkSuite] = Registry(
    "suite", base=BenchmarkSuite, entry_point_group="metanas.suites", error=UnknownSuiteError
)


def register_suite(name: str, factory: Callable[..., BenchmarkSuite]) -> None:
    """Register a suite factory under ``name`` (`SUITES.register`)."""
    SUITES.register(name, factory)


def suite_names() -> list[str]:
    """Registered suite names."""
    return SUITES.names()


def get_suite(name: str | BenchmarkSuite, **kwargs) -> BenchmarkSuite:
    """Resolve a suite name (``nb201``, ``nasbench-graph``) with factory arguments.

    Raises:
        UnknownSuiteError: the name is unknown; the message lists the valid ones.
    """
    return SUITES.resolve(name, **kwargs)


def suite_of_task(task_id: str) -> str:
    """The name of the registered suite that holds ``task_id`` (``nb201/cifar10`` -> ``nb201``),
    asked of every registered suite, plugins and user registrations included (a suite whose
    factory needs arguments is skipped).

    Raises:
        UnknownTaskError: no registered suite holds the id, or several do (the message names them).
    """
    holders = []
    for name in SUITES.names():
        try:
            suite = SUITES.create(name)
        except ConfigError:  # a factory that needs arguments: it cannot be asked without them
            logger.debug("suite %r skipped by suite_of_task: its factory needs arguments", name)
            continue
        if task_id in suite.task_ids():
            holders.append(name)
    if len(holders) == 1:
        return holders[0]
    if holders:
        raise UnknownTaskError(f"task id {task_id!r} is held by several registered suites {holders}; "
                               "name the suite (get_suite(name).resolve(task_id))")
    raise UnknownTaskError(f"task id {task_id!r} belongs to no registered suite; the suites are {SUITES.names()}")


def _nb201(nb201_dir: str | os.PathLike | None = None) -> NB201Suite:
    return NB201Suite(nb201_dir)


SUITES.register("nb201", _nb201)
SUITES.register("nasbench-graph", NasBenchGraphSuite)
