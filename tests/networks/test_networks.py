"""Architectures become networks: shapes, parameter counts against the benchmarks' published
counts, cell semantics, DAG operations and the errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError, UnknownOperationError
from metanas.networks import DAG_OPS, NETWORKS, DataSpec, build_network, count_parameters
from metanas.spaces import DAGSpace, NB201Space, get_space

NB201 = NB201Space()


def image(classes: int, c: int = 3, hw: int = 32) -> DataSpec:
    return DataSpec("image", classes, input_size=(c, hw, hw))


def test_import_builds_nothing_with_torch():
    code = "import sys, metanas, metanas.networks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# NAS-Bench-201's API records the parameter count (in millions) of each cell; the extremes of
# the space are its smallest (every edge `none`) and largest (every edge `nor_conv_3x3`) cells,
# published as 0.073306 / 1.531546 (CIFAR-10), 0.079156 / 1.537396 (CIFAR-100) and
# 0.080456 / 1.538696 (ImageNet16-120, 16x16 inputs) for C=16, N=5.
@pytest.mark.parametrize(
    ("classes", "hw", "op", "published"),
    [
        (10, 32, "none", 0.073306), (10, 32, "nor_conv_3x3", 1.531546),
        (100, 32, "none", 0.079156), (100, 32, "nor_conv_3x3", 1.537396),
        (120, 16, "none", 0.080456), (120, 16, "nor_conv_3x3", 1.538696),
    ],
)
def test_nb201_parameter_counts_equal_the_published_ones(classes, hw, op, published):
    net = build_network(NB201.from_ops([op] * 6), NB201, image(classes, hw=hw))
    assert count_parameters(net) == round(published * 1e6)


def test_nb201_counts_add_up_per_operation():
    """Each conv edge adds C*C*k*k + 2C parameters per cell at width C (3 stages x N cells)."""
    spec = image(10)
    base = count_parameters(build_network(NB201.from_ops(["none"] * 6), NB201, spec, C=8, N=2))
    for op, k in (("nor_conv_1x1", 1), ("nor_conv_3x3", 3)):
        ops = ["none"] * 6
        ops[3] = op
        per_cell = sum(c * c * k * k + 2 * c for c in (8, 16, 32)) * 2
        assert count_parameters(build_network(NB201.from_ops(ops), NB201, spec, C=8, N=2)) == base + per_cell
    for op in ("skip_connect", "avg_pool_3x3"):
        assert count_parameters(build_network(NB201.from_ops([op] * 6), NB201, spec, C=8, N=2)) == base


@pytest.mark.parametrize(("c", "hw", "classes"), [(1, 8, 10), (3, 32, 7), (4, 15, 2)])
def test_nb201_output_shape(c, hw, classes):
    net = build_network(NB201.sample(np.random.default_rng(hw)), "nb201", image(classes, c, hw), C=4, N=1)
    assert net(torch.randn(3, c, hw, hw)).shape == (3, classes)


def test_graph_cell_computes_the_nb201_cell():
    """Edges (0,1),(0,2),(1,2),(1,3),(2,3) skip, (0,3) none: node1 = x, node2 = 2x, out = 3x."""
    from metanas.networks import GraphCell
    from metanas.networks._cells import NB201_MODULES

    ops = ["skip_connect", "skip_connect", "skip_connect", "none", "skip_connect", "skip_connect"]
    cell = GraphCell(NB201.from_ops(ops), 2, NB201_MODULES)
    x = torch.randn(2, 2, 4, 4)
    assert torch.allclose(cell(x), 3 * x)
    only_direct = GraphCell(NB201.from_ops(["none"] * 3 + ["skip_connect"] + ["none"] * 2), 2, NB201_MODULES)
    assert torch.equal(only_direct(x), x)


def test_nb201_rejects_wrong_options_and_data():
    g = NB201.from_ops(["nor_conv_3x3"] * 6)
    with pytest.raises(ConfigError, match="'C'"):
        build_network(g, NB201, image(10), C=0)
    with pytest.raises(ConfigError, match="image networks"):
        build_network(g, NB201, DataSpec("graph", 3, num_features=5))
    with pytest.raises(ConfigError, match="input_size"):
        DataSpec("image", 10)
    with pytest.raises(InvalidArchitectureError):
        build_network(get_space("nbg").sample(np.random.default_rng(0)), NB201, image(10))


# ----------------------------------------------------------------------------- NAS-Bench-Graph
def test_nbg_network_forward_and_isomorphic_members_share_a_network():
    space = get_space("nbg")
    spec = DataSpec("graph", 4, num_features=6)
    x = torch.randn(10, 6)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]])
    for seed in range(5):
        g = space.sample(np.random.default_rng(seed))
        net = build_network(g, space, spec, dim=8)
        assert net(x, edge_index).shape == (10, 4)
    a = space.from_arch([0, 0, 1, 2], ["gcn", "sage", "gin", "fc"])
    b = space.from_arch([0, 0, 1, 2], ["sage", "gcn", "fc", "gin"])  # the same architecture, nodes swapped
    assert space.key(a) == space.key(b)
    assert repr(build_network(a, space, spec, dim=8)) == repr(build_network(b, space, spec, dim=8))


def test_nbg_skip_of_the_raw_input_keeps_its_width():
    """Without pre-processing, a skip node of the input carries the F input features on."""
    space = get_space("nbg")
    g = space.from_arch([0, 0, 0, 0], ["skip", "gcn", "gat", "sage"])
    net = build_network(g, space, DataSpec("graph", 3, num_features=5), dim=8, num_pre=0)
    out = net(torch.randn(4, 5), torch.tensor([[0, 1, 2], [1, 2, 3]]))
    assert out.shape == (4, 3)


def test_nbg_rejects_image_data_and_unknown_preset():
    g = get_space("nbg").sample(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="graph networks"):
        build_network(g, "nbg", image(10))
    with pytest.raises(ConfigError, match="preset"):
        build_network(g, "nbg", DataSpec("graph", 3, num_features=5), preset="nope")
    with pytest.raises(ConfigError, match="dim"):
        build_network(g, "nbg", DataSpec("graph", 3, num_features=5), dim=6)


# ----------------------------------------------------------------------------- user DAG spaces
def test_dag_space_builds_with_registered_ops():
    space = DAGSpace(["conv_3x3", "max_pool_3x3", "identity"], max_nodes=4, space_id="toy-dag")
    spec = image(5, c=1, hw=8)
    for seed in range(4):
        net = build_network(space.sample(np.random.default_rng(seed)), space, spec, C=4)
        assert net(torch.randn(2, 1, 8, 8)).shape == (2, 5)


def test_dag_space_with_an_unregistered_op_then_registered():
    space = DAGSpace(["triple"], max_nodes=2, space_id="triple-dag")
    g = space.sample(np.random.default_rng(0))
    with pytest.raises(UnknownOperationError, match="DAG_OPS.register"):
        build_network(g, space, image(3, 1, 4))

    class Triple(torch.nn.Module):
        def forward(self, x):
            return 3 * x

    DAG_OPS.register("triple", lambda c: Triple())
    try:
        net = build_network(g, space, image(3, 1, 4), C=2)
        assert net(torch.randn(2, 1, 4, 4)).shape == (2, 3)
    finally:
        DAG_OPS.unregister("triple")


def test_a_space_without_builder_is_refused_with_the_fix():
    class Other(NB201Space):
        id = "other-space"

    with pytest.raises(UnknownNameError, match="NETWORKS.register"):
        build_network(Other().from_ops(["none"] * 6), Other(), image(10))
    assert "nb201" in NETWORKS
