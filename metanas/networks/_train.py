"""Training evaluators: build an architecture's network, train it, score it on held-out data.

* ``image_classification`` — `ImageClassificationEvaluator` (mini-batches of images);
* ``node_classification`` — `NodeClassificationEvaluator` (full-batch on one graph).

Each evaluation returns validation accuracy (the objective, ``val_acc``), test accuracy
(``test_acc``), the parameter count (``params``), the epochs trained (``epochs``) and the
final training loss (``train_loss``); its cost is the wall time in seconds. Image networks
are scored after re-estimating their BatchNorm statistics on the training images (one pass),
which short training needs. The split into
train / validation / test is fixed by ``split_seed``; initialisation and batch order come
from ``seed`` (``torch.manual_seed`` inside ``torch.random.fork_rng``, so the caller's global
generator is untouched), the same for every architecture.

A network that does not build (``build_error``), a loss that becomes NaN or infinite
(``nan_loss``) and an out-of-memory (``out_of_memory``) give a failed `EvaluationResult`
with the reason and message; the search records it and goes on.
"""

from __future__ import annotations

import logging
import math
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.networks._config import TrainConfig
from metanas.networks._data import GraphData, ImageData, load_data, split_indices
from metanas.networks._spec import DataSpec, build_network, count_parameters
from metanas.search._evaluators import EvaluationResult, Evaluator
from metanas.spaces import SearchSpace, get_space

__all__ = ["ImageClassificationEvaluator", "NodeClassificationEvaluator", "TrainingEvaluator", "resolve_device"]

logger = logging.getLogger(__name__)


class _Diverged(Exception):
    """The training loss became NaN or infinite."""


def resolve_device(name: str) -> torch.device:
    """``auto``: CUDA when available, else CPU (logged once per evaluator).

    Raises:
        ConfigError: ``cuda`` asked for but not available.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("'device' is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


class TrainingEvaluator(Evaluator):
    """Shared work of the training evaluators: build, count, train, score, and failures.

    Subclasses implement `_spec` (the data's `DataSpec`), `_train_and_score`.

    Args:
        data: what `load_data` accepts (a ``--data`` string, arrays, a dataset).
        space: the search space of the architectures (instance or id).
        config: a `TrainConfig` or a mapping of its keys.
    """

    objective = "val_acc"
    direction = "maximize"
    test_metric = "test_acc"

    def __init__(self, data: Any, space: SearchSpace | str, config: Mapping[str, Any] | TrainConfig | None = None) -> None:
        self.data = load_data(data)
        self.space = get_space(space)
        self.config = TrainConfig.from_mapping(config)
        self.device = resolve_device(self.config.device)
        logger.info("%s on %s (device %s)", type(self).__name__, self.data.name, self.device)
        self.spec = self._spec()

    @abstractmethod
    def _spec(self) -> DataSpec:
        """The data's shapes (and check the data is of the evaluator's kind)."""

    @abstractmethod
    def _train_and_score(self, model: torch.nn.Module) -> dict[str, float]:
        """Train ``model`` (on `device`) and return the `objective`, the `test_metric` and ``train_loss``.

        Raises:
            _Diverged: the loss became NaN or infinite.
        """

    def evaluate(self, graph: ModelGraph) -> EvaluationResult:
        """Train ``graph``'s network and score it; failures come back as failed results."""
        start = time.perf_counter()
        metrics: dict[str, float] = {}
        with torch.random.fork_rng(devices=[self.device.index or 0] if self.device.type == "cuda" else []):
            torch.manual_seed(self.config.seed)
            try:
                model = build_network(graph, self.space, self.spec, **self.config.network)
                metrics["params"] = float(count_parameters(model))
            except Exception as exc:  # noqa: BLE001 - any build error is the architecture's failure
                return self._failed("build_error", f"{type(exc).__name__}: {exc}", metrics, start)
            try:
                metrics.update(self._train_and_score(model.to(self.device)))
            except _Diverged as exc:
                return self._failed("nan_loss", str(exc), metrics, start)
            except (RuntimeError, MemoryError) as exc:
                if not (_is_oom(exc) or isinstance(exc, MemoryError)):
                    raise
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                return self._failed("out_of_memory", f"{type(exc).__name__}: {exc}", metrics, start)
        metrics["epochs"] = float(self.config.epochs)
        return EvaluationResult(metrics[self.objective], metrics, time.perf_counter() - start, "seconds")

    def _failed(self, reason: str, detail: str, metrics: dict[str, float], start: float) -> EvaluationResult:
        return EvaluationResult.failed(reason, detail, metrics, time.perf_counter() - start, "seconds")

    def _optimizer(self, model: torch.nn.Module) -> tuple[torch.optim.Optimizer, Any]:
        cfg = self.config
        if cfg.optimizer == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0,
                                  weight_decay=cfg.weight_decay)
        else:
            opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)

    def _epochs(self, desc: str):
        if not self.config.progress:
            return range(self.config.epochs)
        from tqdm import tqdm

        return tqdm(range(self.config.epochs), desc=desc, unit="epoch", leave=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data={self.data.name!r}, space={self.space.id!r}, epochs={self.config.epochs})"


def _check_loss(loss: torch.Tensor, epoch: int) -> float:
    value = float(loss.detach())
    if not math.isfinite(value):
        raise _Diverged(f"the training loss became {value} in epoch {epoch + 1}")
    return value


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor, epoch: int) -> float:
    """One optimiser step on ``loss`` (gradients cleared first); its value, refused if not finite."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    value = _check_loss(loss, epoch)
    opt.step()
    return value


@torch.no_grad()
def _recalibrate_batchnorm(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Set every BatchNorm's running statistics to the trained network's exact averages over the
    training images (one pass, cumulative averages): after a few epochs the running averages
    still mix in the untrained network's statistics and make evaluation-mode accuracy erratic."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for xb in x.split(max(batch_size, 2)):
        if len(xb) > 1:
            model(xb)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


class ImageClassificationEvaluator(TrainingEvaluator):
    """Trains image classifiers (see the module docstring); ``data`` holds `ImageData`."""

    name = "image_classification"

    def _spec(self) -> DataSpec:
        if not isinstance(self.data, ImageData):
            raise ConfigError(f"evaluator {self.name!r} needs image data, got the graph {self.data.name!r}")
        cfg = self.config
        self._split = split_indices(len(self.data.y), cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
        return DataSpec("image", self.data.num_classes, input_size=tuple(self.data.x.shape[1:]))

    def _tensors(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.from_numpy(self.data.x[idx]).to(self.device), torch.from_numpy(self.data.y[idx]).to(self.device))

    def _train_and_score(self, model: torch.nn.Module) -> dict[str, float]:
        cfg = self.config
        train, val, test = (self._tensors(i) for i in self._split)
        opt, sched = self._optimizer(model)
        gen = torch.Generator().manual_seed(cfg.seed)
        n = len(train[1])
        loss_value = math.nan
        for epoch in self._epochs(self.data.name):
            model.train()
            for batch in torch.randperm(n, generator=gen).split(cfg.batch_size):
                if len(batch) < 2 and n >= 2:  # BatchNorm needs two samples; drop a last single one
                    continue
                batch = batch.to(self.device)
                loss_value = _step(opt, F.cross_entropy(model(train[0][batch]), train[1][batch]), epoch)
            sched.step()
        _recalibrate_batchnorm(model, train[0], cfg.batch_size)
        return {"val_acc": self._accuracy(model, *val), "test_acc": self._accuracy(model, *test),
                "train_loss": loss_value}

    @torch.no_grad()
    def _accuracy(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in zip(x.split(512), y.split(512)))
        return correct / len(y)


class NodeClassificationEvaluator(TrainingEvaluator):
    """Trains GNNs full-batch on one graph (see the module docstring); ``data`` holds `GraphData`.

    The graph's own ``train_mask``/``val_mask``/``test_mask`` are used when it has all three,
    else a split of the nodes by ``split_seed``.
    """

    name = "node_classification"

    def _spec(self) -> DataSpec:
        if not isinstance(self.data, GraphData):
            raise ConfigError(f"evaluator {self.name!r} needs a graph, got the image data {self.data.name!r}")
        d = self.data.data
        if all(getattr(d, k, None) is not None for k in ("train_mask", "val_mask", "test_mask")):
            self._masks = (d.train_mask, d.val_mask, d.test_mask)
        else:
            cfg = self.config
            idx = split_indices(int(d.num_nodes), cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
            masks = []
            for part in idx:
                m = torch.zeros(int(d.num_nodes), dtype=torch.bool)
                m[torch.from_numpy(part)] = True
                masks.append(m)
            self._masks = tuple(masks)
        return DataSpec("graph", self.data.num_classes, num_features=int(d.x.shape[1]))

    def _train_and_score(self, model: torch.nn.Module) -> dict[str, float]:
        d = self.data.data
        x, edge_index, y = d.x.to(self.device), d.edge_index.to(self.device), d.y.to(self.device)
        train, val, test = (m.to(self.device) for m in self._masks)
        opt, sched = self._optimizer(model)
        loss_value = math.nan
        for epoch in self._epochs(self.data.name):
            model.train()
            loss_value = _step(opt, F.cross_entropy(model(x, edge_index)[train], y[train]), epoch)
            sched.step()
        model.eval()
        with torch.no_grad():
            pred = model(x, edge_index).argmax(1)
        acc = [float((pred[m] == y[m]).float().mean()) for m in (val, test)]
        return {"val_acc": acc[0], "test_acc": acc[1], "train_loss": loss_value}
