"""Training evaluators for tables: MLP networks trained on `TabularData` in mini-batches.

* ``tabular_classification`` — `TabularClassificationEvaluator`: cross-entropy; objective the
  validation accuracy ``val_acc`` (test: ``test_acc``), maximised;
* ``tabular_regression`` — `TabularRegressionEvaluator`: mean squared error on standardised
  targets; objective the validation coefficient of determination ``val_r2``
  (``1 - SSE / SST`` of the validation rows, test: ``test_r2``), maximised.

The regression objective is R² rather than the error because it is scale-free and higher is
better like accuracy: the database, the warm start (within-task ranks) and the CLI's "best"
treat both problems alike, and a value means the same on any target's units (1: perfect, 0:
no better than predicting the training mean). Each result also carries ``val_mse`` and
``test_mse`` in the target's units.

The train / validation / test split is fixed by ``split_seed`` (stratified by class for
classification); the features are standardised with the training rows' mean and standard
deviation (constant columns left as they are). Initialisation and batch order come from
``seed``; a loss that becomes NaN fails the evaluation (``nan_loss``), as in every training
evaluator (`TrainingEvaluator`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from metanas.exceptions import ConfigError
from metanas.networks._data import TabularData, split_indices, stratified_split_indices
from metanas.networks._spec import DataSpec
from metanas.networks._train import TrainingEvaluator, _step

__all__ = ["TabularClassificationEvaluator", "TabularEvaluator", "TabularRegressionEvaluator"]


class TabularEvaluator(TrainingEvaluator):
    """Shared work of the tabular evaluators: the split, standardisation and the training loop.

    Subclasses set `problem` and implement `_loss` and `_scores`.
    """

    problem = "classification"

    def _spec(self) -> DataSpec:
        if not isinstance(self.data, TabularData):
            kind = type(self.data).__name__.removesuffix("Data").lower()
            raise ConfigError(f"evaluator {self.name!r} needs tabular data, got the {kind} data {self.data.name!r}")
        if self.data.problem != self.problem:
            raise ConfigError(f"evaluator {self.name!r} needs {self.problem} data; {self.data.name!r} is a "
                              f"{self.data.problem} table (use tabular_{self.data.problem})")
        cfg = self.config
        y = self.data.y
        if self.problem == "classification":
            parts = stratified_split_indices(y, cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
        else:
            parts = split_indices(len(y), cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
        x = self.data.x[parts[0]].astype(np.float64)
        mean, std = x.mean(axis=0), x.std(axis=0)
        std[std == 0] = 1.0
        xs = ((self.data.x - mean) / std).astype(np.float32)
        self._parts = [(torch.from_numpy(xs[p]), torch.from_numpy(y[p])) for p in parts]
        return DataSpec("tabular", self.data.num_classes, num_features=int(self.data.x.shape[1]))

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _scores(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, part: str) -> dict[str, float]:
        raise NotImplementedError

    def _train_and_score(self, model: torch.nn.Module) -> dict[str, float]:
        cfg = self.config
        (xt, yt), val, test = ((x.to(self.device), y.to(self.device)) for x, y in self._parts)
        opt, sched = self._optimizer(model)
        gen = torch.Generator().manual_seed(cfg.seed)
        loss_value = math.nan
        for epoch in self._epochs(self.data.name):
            model.train()
            for batch in torch.randperm(len(yt), generator=gen).split(cfg.batch_size):
                batch = batch.to(self.device)
                loss_value = _step(opt, self._loss(model(xt[batch]), yt[batch]), epoch)
            sched.step()
        model.eval()
        with torch.no_grad():
            return {**self._scores(model, *val, "val"), **self._scores(model, *test, "test"), "train_loss": loss_value}


class TabularClassificationEvaluator(TabularEvaluator):
    """Trains MLP classifiers on a table (see the module docstring); objective ``val_acc``."""

    name = "tabular_classification"

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y)

    def _scores(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, part: str) -> dict[str, float]:
        return {f"{part}_acc": float((model(x).argmax(1) == y).float().mean())}


class TabularRegressionEvaluator(TabularEvaluator):
    """Trains MLP regressors on a table (see the module docstring); objective ``val_r2``."""

    name = "tabular_regression"
    problem = "regression"
    objective = "val_r2"
    test_metric = "test_r2"

    def _spec(self) -> DataSpec:
        spec = super()._spec()
        yt = self._parts[0][1].double()
        self._y_mean, self._y_std = float(yt.mean()), float(yt.std(unbiased=False)) or 1.0
        return spec

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(out[:, 0], (y - self._y_mean) / self._y_std)

    def _scores(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, part: str) -> dict[str, float]:
        pred = model(x)[:, 0].double() * self._y_std + self._y_mean
        y = y.double()
        sse = float(((pred - y) ** 2).sum())
        sst = float(((y - y.mean()) ** 2).sum())
        return {f"{part}_r2": 1.0 - sse / sst if sst > 0 else 0.0, f"{part}_mse": sse / len(y)}
