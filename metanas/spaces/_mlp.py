"""The ``mlp`` space: MLP cells for tabular data, a `DAGSpace` over dense-layer operations.

Every operation keeps the cell's width ``W`` (the network's ``width`` option), so that any
DAG wiring composes (a node applies its operation to the sum of its predecessors):

* ``dense_16``, ``dense_64``, ``dense_256`` — a dense layer of that many units with its ReLU,
  projected back to ``W`` (``Linear(W, w) -> ReLU -> Linear(w, W)``);
* ``relu``, ``tanh`` — activations;
* ``skip`` — the identity;
* ``dropout`` — dropout (rate: the network's ``dropout`` option).

Cells have 1 to 4 operation nodes. `metanas.networks` builds the network around the cell
(``mlp`` in `metanas.networks.NETWORKS`).
"""

from __future__ import annotations

from metanas.spaces._dag import DAGSpace

__all__ = ["MLP_MAX_NODES", "MLP_OPS", "mlp_space"]

#: Operations of the ``mlp`` space.
MLP_OPS: tuple[str, ...] = ("dense_16", "dense_64", "dense_256", "relu", "tanh", "skip", "dropout")
#: Most operation nodes of an ``mlp`` cell.
MLP_MAX_NODES = 4


def mlp_space() -> DAGSpace:
    """The ``mlp`` space (see the module docstring)."""
    return DAGSpace(MLP_OPS, MLP_MAX_NODES, space_id="mlp")
