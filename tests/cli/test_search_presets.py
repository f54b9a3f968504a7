"""``metanas search`` without --config trains the small networks of configs/search.yaml; the
benchmark-size networks are the named preset ``--config benchmark`` (issue 22)."""

from __future__ import annotations

import pytest
import yaml

from metanas.cli import main
from metanas.networks._train import TrainingEvaluator
from metanas.pipeline import SEARCH_PRESETS, load_search_config
from metanas.resources import resolve_path
from metanas.search import EvaluationResult


@pytest.fixture()
def networks(monkeypatch):
    seen: list = []

    def evaluate(self, graph):
        seen.append(dict(self.config.network))
        return EvaluationResult(0.5, {"val_acc": 0.5, "test_acc": 0.5}, 0.01)

    monkeypatch.setattr(TrainingEvaluator, "evaluate", evaluate)
    return seen


def _search(tmp_path, *extra):
    return main(["search", "--db", str(tmp_path / "h.db"), "--space", "nb201", "--data", "sklearn:digits?classes=0-1",
                 "--task-id", "t", "--budget", "2", "--no-progress", *extra])


def test_without_config_the_small_networks_train(tmp_path, networks):
    assert _search(tmp_path) == 0
    assert networks == [{"C": 8, "N": 1}] * 2


@pytest.mark.parametrize(("preset", "network"), [("small", {"C": 8, "N": 1}), ("benchmark", {"C": 16, "N": 5})])
def test_named_presets(tmp_path, networks, preset, network):
    assert _search(tmp_path, "--config", preset) == 0
    assert networks == [network] * 2


def test_a_local_file_named_like_a_preset_wins(tmp_path, networks, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "benchmark").write_text("training: {image: {epochs: 1, network: {C: 4, N: 1}}}\n")
    assert _search(tmp_path, "--config", "benchmark") == 0
    assert networks == [{"C": 4, "N": 1}] * 2


def test_the_presets_differ_only_in_the_network_size():
    small, bench = (yaml.safe_load(resolve_path(SEARCH_PRESETS[n]).read_text()) for n in ("small", "benchmark"))
    for kind in ("image", "graph", "tabular"):
        small["training"][kind].pop("network")
        bench["training"][kind].pop("network")
    assert small == bench
    assert load_search_config(None) == load_search_config("small")
    _, _, training = load_search_config("benchmark")
    assert training["graph"]["network"] == {"preset": "cora", "dropout": 0.5}


def test_an_unknown_preset_names_the_file_it_looked_for(tmp_path, capsys):
    assert _search(tmp_path, "--config", "huge") == 2
    assert "search config 'huge' is neither a file nor a preset; pass a YAML file or one of the presets " \
        "['benchmark', 'small']" in capsys.readouterr().err
    assert _search(tmp_path, "--config", "huge.yaml") == 2
    assert "search config file huge.yaml not found" in capsys.readouterr().err
