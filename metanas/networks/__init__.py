"""Architectures become networks: `build_network(graph, space, spec)` -> ``torch.nn.Module``.

Builders (registry `NETWORKS`, by search-space id):

* ``nb201`` — NAS-Bench-201's cell network (`CellNetwork`, ``C`` and ``N`` configurable; the
  benchmark's ``C=16, N=5``) for image data;
* ``nbg`` / ``nbg-proteins`` — NAS-Bench-Graph's GNN (`NasBenchGraphNetwork`, settings of a
  benchmark dataset via ``preset``) for graph data;
* ``dag`` — any `DAGSpace` cell in the same skeleton, operations from the registry `DAG_OPS`;
* ``mlp`` — an MLP cell of the ``mlp`` space (`MLPCellNetwork`: dense stem, cells, linear head)
  for tabular data.

Training evaluators (`ImageClassificationEvaluator`, `NodeClassificationEvaluator`,
registered as ``image_classification`` / ``node_classification`` in `metanas.search`) and
the tabular ones (`TabularClassificationEvaluator`, `TabularRegressionEvaluator`:
``tabular_classification`` / ``tabular_regression``) train the built networks with a
`TrainConfig` on data from `load_data`.

Importing this package does not import torch; building does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from metanas.networks._spec import DAG_OPS, NETWORKS, DataSpec, build_network, count_parameters, lazy

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = [
    "DAG_OPS",
    "NBG_PRESETS",
    "NETWORKS",
    "CellNetwork",
    "DataSpec",
    "GraphCell",
    "GraphData",
    "ImageClassificationEvaluator",
    "ImageData",
    "MLPCellNetwork",
    "NasBenchGraphNetwork",
    "NodeClassificationEvaluator",
    "TabularClassificationEvaluator",
    "TabularData",
    "TabularRegressionEvaluator",
    "TrainConfig",
    "build_network",
    "count_parameters",
    "image_classification_evaluator",
    "load_data",
    "node_classification_evaluator",
    "tabular_classification_evaluator",
    "tabular_regression_evaluator",
]

_LAZY = {
    "CellNetwork": "metanas.networks._cells",
    "GraphCell": "metanas.networks._cells",
    "NasBenchGraphNetwork": "metanas.networks._gnn",
    "NBG_PRESETS": "metanas.networks._gnn",
    "GraphData": "metanas.networks._data",
    "ImageData": "metanas.networks._data",
    "TabularData": "metanas.networks._data",
    "MLPCellNetwork": "metanas.networks._mlp",
    "TabularClassificationEvaluator": "metanas.networks._tabular",
    "TabularRegressionEvaluator": "metanas.networks._tabular",
    "load_data": "metanas.networks._data",
    "TrainConfig": "metanas.networks._config",
    "ImageClassificationEvaluator": "metanas.networks._train",
    "NodeClassificationEvaluator": "metanas.networks._train",
}

NETWORKS.register("nb201", lazy("metanas.networks._cells", "build_nb201"))
NETWORKS.register("nbg", lazy("metanas.networks._gnn", "build_nbg"))
NETWORKS.register("nbg-proteins", lazy("metanas.networks._gnn", "build_nbg"))
NETWORKS.register("dag", lazy("metanas.networks._dag", "build_dag"))
NETWORKS.register("mlp", lazy("metanas.networks._mlp", "build_mlp"))

_BUILTIN_DAG_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "identity", "skip",
                    "zero", "conv_1x1", "conv_3x3", "conv_5x5", "max_pool_3x3")


def _dag_op(name: str) -> Any:
    def factory(channels: int) -> Any:
        return importlib.import_module("metanas.networks._dag").builtin_op(name, channels)

    factory.__qualname__ = f"builtin_op[{name}]"
    return factory


for _name in _BUILTIN_DAG_OPS:
    DAG_OPS.register(_name, _dag_op(_name))


def image_classification_evaluator(data: Any, space: SearchSpace | str, config: Any = None) -> Any:
    """The ``image_classification`` evaluator (entry point of the group ``metanas.evaluators``):
    `ImageClassificationEvaluator`, with torch imported only now."""
    from metanas.networks._train import ImageClassificationEvaluator

    return ImageClassificationEvaluator(data, space, config)


def node_classification_evaluator(data: Any, space: SearchSpace | str, config: Any = None) -> Any:
    """The ``node_classification`` evaluator (entry point of the group ``metanas.evaluators``):
    `NodeClassificationEvaluator`, with torch imported only now."""
    from metanas.networks._train import NodeClassificationEvaluator

    return NodeClassificationEvaluator(data, space, config)


def tabular_classification_evaluator(data: Any, space: SearchSpace | str, config: Any = None) -> Any:
    """The ``tabular_classification`` evaluator (entry point of the group ``metanas.evaluators``):
    `TabularClassificationEvaluator`, with torch imported only now."""
    from metanas.networks._tabular import TabularClassificationEvaluator

    return TabularClassificationEvaluator(data, space, config)


def tabular_regression_evaluator(data: Any, space: SearchSpace | str, config: Any = None) -> Any:
    """The ``tabular_regression`` evaluator (entry point of the group ``metanas.evaluators``):
    `TabularRegressionEvaluator`, with torch imported only now."""
    from metanas.networks._tabular import TabularRegressionEvaluator

    return TabularRegressionEvaluator(data, space, config)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'metanas.networks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
