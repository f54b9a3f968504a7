"""Search spaces: the `SearchSpace` base, the registry `SPACES`, and the built-in spaces.

Registered ids: ``nb201`` (NAS-Bench-201 cells), ``nbg`` (NAS-Bench-Graph, 9 ops) and
``nbg-proteins`` (NAS-Bench-Graph, the 5-op proteins space) and ``mlp`` (MLP cells for tabular
data, a `DAGSpace`). `DAGSpace` builds user-defined spaces.
"""

from __future__ import annotations

from functools import partial

from metanas.spaces._base import SPACES, SearchSpace, get_space, register_space, space_names
from metanas.spaces._dag import DAGSpace
from metanas.spaces._mlp import MLP_OPS, mlp_space
from metanas.spaces._nasbench_graph import (
    LINK_PATTERNS,
    NBG_OPS,
    NBG_PROTEINS_OPS,
    NasBenchGraphSpace,
)
from metanas.spaces._nb201 import NB201_EDGES, NB201_OPS, NB201Space

__all__ = [
    "LINK_PATTERNS",
    "MLP_OPS",
    "NB201_EDGES",
    "NB201_OPS",
    "NBG_OPS",
    "NBG_PROTEINS_OPS",
    "SPACES",
    "DAGSpace",
    "NB201Space",
    "NasBenchGraphSpace",
    "SearchSpace",
    "get_space",
    "register_space",
    "space_names",
]

SPACES.register("nb201", NB201Space)
SPACES.register("nbg", partial(NasBenchGraphSpace, NBG_OPS, "nbg"))
SPACES.register("nbg-proteins", partial(NasBenchGraphSpace, NBG_PROTEINS_OPS, "nbg-proteins"))
SPACES.register("mlp", mlp_space)
