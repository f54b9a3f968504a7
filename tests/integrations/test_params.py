"""Space <-> engine parameters: exact round trips for every registered space, clear errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.integrations import codec_for, from_params, to_params
from metanas.spaces import DAGSpace, SearchSpace, get_space, space_names

DAG = DAGSpace(["conv", "pool", "id"], 4, min_nodes=2, max_edges=9)
#: The spaces metanas itself registers (test modules may register toy spaces without a codec).
BUILTIN_SPACES = [n for n in space_names() if type(get_space(n)).__module__.startswith("metanas.")]


@pytest.mark.parametrize("space", [*BUILTIN_SPACES, DAG], ids=str)
def test_round_trip_is_exact_over_many_samples(space):
    space = get_space(space)
    codec = codec_for(space)
    table = codec.choices()
    rng = np.random.default_rng(7)
    for _ in range(400):
        graph = space.sample(rng)
        params = codec.to_params(graph)
        assert set(params) <= set(table)
        assert all(params[k] in table[k] for k in params)
        back = codec.from_params(params)
        assert back == graph and back.space_id == space.id
        assert codec.to_params(back) == params


def test_parameter_names_of_the_benchmark_spaces():
    nb201 = to_params(get_space("nb201").sample(np.random.default_rng(0)), "nb201")
    assert sorted(nb201) == sorted(["edge_0_1", "edge_0_2", "edge_1_2", "edge_0_3", "edge_1_3", "edge_2_3"])
    nbg = get_space("nbg")
    g = nbg.from_arch((0, 0, 1, 2), ["gcn", "gat", "sage", "fc"])
    assert to_params(g, nbg) == {"link": "0,0,1,2", "op_1": "gcn", "op_2": "gat", "op_3": "sage", "op_4": "fc"}


def test_nbg_after_three_skips_the_last_op_cannot_be_skip():
    codec = codec_for("nbg")
    g = get_space("nbg").from_arch((0, 1, 2, 3), ["skip", "skip", "skip", "gin"])
    params = codec.to_params(g)
    assert "op_4" not in params and params["op_4_nonskip"] == "gin"
    assert "skip" not in codec.choices()["op_4_nonskip"]
    assert codec.from_params(params) == g
    with pytest.raises(ConfigError, match="op_4_nonskip"):
        codec.from_params({**params, "op_4_nonskip": "skip"})


def test_dag_codec_covers_optional_output_edges_and_refuses_unordered_graphs():
    codec = codec_for(DAG)
    g = ModelGraph((INPUT, "conv", "pool", OUTPUT), ((0, 1), (1, 2), (1, 3), (2, 3)), DAG.id)
    params = codec.to_params(g)
    assert params["edge_1_out"] is True and params["edge_0_2"] is False
    assert codec.from_params(params) == g
    unordered = ModelGraph((INPUT, "conv", "pool", OUTPUT), ((0, 2), (2, 1), (1, 3)), DAG.id)
    with pytest.raises(InvalidArchitectureError, match="topological"):
        codec.to_params(unordered)


def test_parameters_of_another_space_raise_a_clear_error():
    nb201_params = to_params(get_space("nb201").sample(np.random.default_rng(0)), "nb201")
    with pytest.raises(ConfigError, match=r"do not match search space 'nbg'.*missing \['link'"):
        from_params(nb201_params, "nbg")
    with pytest.raises(ConfigError, match="must be one of"):
        from_params({**nb201_params, "edge_0_1": "gcn"}, "nb201")
    with pytest.raises(ConfigError, match="must be a mapping"):
        from_params(["edge_0_1"], "nb201")


def test_a_space_without_codec_cannot_be_expressed():
    class Odd(SearchSpace):
        id = "odd"
        ops = ("a",)

        def _sample(self, rng):
            return ModelGraph((INPUT, "a", OUTPUT), ((0, 1), (1, 2)), "odd")

        def _check(self, graph):
            pass

    with pytest.raises(ConfigError, match=r"cannot be expressed.*register_codec"):
        codec_for(Odd())


def test_missing_optuna_gives_an_actionable_error(tmp_path):
    (tmp_path / "optuna.py").write_text("raise ModuleNotFoundError(\"No module named 'optuna'\", name='optuna')\n")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import metanas.integrations as i\n"  # the codecs need no Optuna
        "try:\n    i.MetanasSampler\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False, capture_output=True, text=True, timeout=120)
    assert "pip install metanas[optuna]" in out.stdout, out.stderr


def test_missing_ray_gives_an_actionable_error(tmp_path):
    """Runs without Ray too: a stand-in ``ray`` package that is not importable."""
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'ray'\", name='ray')\n")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "try:\n    import metanas.integrations.ray\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False, capture_output=True, text=True,
                         timeout=120)
    assert "Ray is not installed" in out.stdout and "pip install metanas[ray]" in out.stdout, out.stderr


def test_lazy_optuna_names_are_the_optuna_packages_public_names():
    """`metanas.integrations` re-exports lazily what `metanas.integrations.optuna` exports: one list each,
    kept literal (linters read `__all__`), so they must agree."""
    import metanas.integrations.optuna as optuna_part
    from metanas import integrations

    assert tuple(sorted(integrations.OPTUNA_NAMES)) == tuple(sorted(optuna_part.__all__))
    for name in integrations.OPTUNA_NAMES:
        assert getattr(integrations, name) is getattr(optuna_part, name)
