"""`MetaLearnerModule`: the LightningModule training a `MetaLearner` with a within-task loss
(regression on standardised scores by default, or a ranking loss) plus the offset
regulariser, validated by within-task Kendall tau on held-out architectures."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import torch

from ..models.graphs import GraphTable
from ..models.losses import TARGETS, kendall_tau, resolve_loss
from ..models.meta_learner import MetaLearner
from .data import TaskData

__all__ = ["MetaLearnerModule"]


class MetaLearnerModule(L.LightningModule):
    """Lightning wrapper of a `MetaLearner`.

    Args:
        model: the plain model.
        table: the history's architectures (`GraphTable`).
        features: normalised meta-features of the training tasks ``[T, F]``.
        tasks: the training tasks' data (validation indices and targets).
        loss: ``"regression"`` (MSE to the within-task standardised scores: heads in the units a
            Gaussian model of the scores uses), ``"pairwise"`` or ``"listnet"`` (ranking losses
            on within-task quantiles; the heads' scale is then arbitrary).
        pair_weighting: option of the pairwise loss.
        listnet_temperature: option of the ListNet loss.
        offset_reg: weight of ``mean_t ||offset_t||^2``.
        lr: Adam learning rate.
        weight_decay: AdamW weight decay.
    """

    def __init__(
        self,
        model: MetaLearner,
        table: GraphTable,
        features: torch.Tensor,
        tasks: Sequence[TaskData],
        *,
        loss: str = "regression",
        pair_weighting: str = "uniform",
        listnet_temperature: float = 0.1,
        offset_reg: float = 0.1,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["model", "table", "features", "tasks"])
        self.model = model
        self.table = table
        self.register_buffer("features", features.float())
        self.tasks = list(tasks)
        self._loss_fn = resolve_loss(loss)
        self._target_key = "score" if TARGETS[loss] == "normal" else "target"
        self._loss_options: dict[str, Any] = {
            "pairwise": {"weighting": pair_weighting}, "listnet": {"temperature": listnet_temperature},
        }.get(loss, {})
        self.best_tau = -np.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1
        self.val_taus: dict[str, float] = {}
        self.best_val_taus: dict[str, float] = {}

    def _task_vectors(self) -> torch.Tensor:
        return self.model.task_vectors(self.features, torch.arange(len(self.tasks), device=self.features.device))

    def loss_on(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(total, within-task)`` loss of a training batch (the second without the offset regulariser)."""
        emb = self.model.embed_architectures(self.table.batch(batch["arch"]))
        z = self._task_vectors()
        scores = (emb[batch["pos"]] * z[batch["group"]]).sum(-1)
        rank = self._loss_fn(scores, batch[self._target_key], batch["group"], **self._loss_options)
        reg = self.model.task_offset.pow(2).sum(-1).mean()
        return rank + self.hparams.offset_reg * reg, rank

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        total, rank = self.loss_on(batch)
        self.log("train_loss", total, prog_bar=True, on_step=False, on_epoch=True, batch_size=1)
        self.log("train_task_loss", rank, on_step=False, on_epoch=True, batch_size=1)
        return total

    @torch.no_grad()
    def validation_taus(self) -> dict[str, float]:
        """Within-task Kendall tau of the scores of each task's held-out architectures."""
        arch = np.unique(np.concatenate([td.val_arch for td in self.tasks]))
        if arch.size == 0:
            return {}
        pos = {int(a): i for i, a in enumerate(arch)}
        emb = self.model.embed_architectures(self.table.batch(torch.from_numpy(arch))).cpu().numpy()
        z = self._task_vectors().cpu().numpy()
        out = {}
        for t, td in enumerate(self.tasks):
            if len(td.val_arch) >= 2:
                s = emb[[pos[int(a)] for a in td.val_arch]] @ z[t]
                out[td.task.task_id] = kendall_tau(s, td.val_target)
        return out

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        taus = self.validation_taus()
        mean = float(np.mean(list(taus.values()))) if taus else 0.0
        self.val_taus = taus
        self.log("val_tau", mean, prog_bar=True, batch_size=1)
        if mean > self.best_tau:
            self.best_tau, self.best_epoch = mean, int(self.current_epoch)
            self.best_val_taus = dict(taus)
            self.best_state = copy.deepcopy(self.model.state_dict())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.model.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
