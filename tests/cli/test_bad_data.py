"""``metanas search`` refuses data and settings that cannot work before anything trains or is
recorded (issue 22, N1 and N5): one line naming the file or field, exit 2; warnings for threads
above the cores and a budget above the space."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from metanas.cli import main
from metanas.networks._train import TrainingEvaluator
from metanas.search import EvaluationResult

TINY = """
search: {budget: 2, population: 2, strategy_options: {population_size: 2, tournament_size: 2}}
training:
  image: {epochs: 1, network: {C: 2, N: 1}}
  graph: {epochs: 1, network: {dim: 4}}
"""


@pytest.fixture()
def no_training(monkeypatch):
    calls: list = []

    def evaluate(self, graph):
        calls.append(graph)
        return EvaluationResult(0.5, {"val_acc": 0.5, "test_acc": 0.5}, 0.01)

    monkeypatch.setattr(TrainingEvaluator, "evaluate", evaluate)
    return calls


def _search(tmp_path, space, data, *extra):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    return main(["search", "--db", str(tmp_path / "h.db"), "--space", space, "--data", str(data), "--task-id", "t",
                 "--config", str(cfg), "--no-progress", *extra])


def _files(tmp_path):
    rng = np.random.default_rng(0)
    good = tmp_path / "good.npz"
    np.savez(good, x=rng.random((20, 1, 4, 4)), y=np.arange(20) % 2)
    out = {}
    (tmp_path / "empty.npz").write_bytes(b"")
    out["empty"] = (tmp_path / "empty.npz", "is empty")
    (tmp_path / "truncated.npz").write_bytes(good.read_bytes()[:300])
    out["truncated"] = (tmp_path / "truncated.npz", "not a .npz archive")
    np.savez(tmp_path / "strings.npz", x=np.array([["a", "b"]] * 20), y=np.arange(20) % 2)
    out["strings"] = (tmp_path / "strings.npz", "'x' must hold numbers")
    (tmp_path / "random.npz").write_bytes(rng.bytes(400))
    out["random"] = (tmp_path / "random.npz", "not a .npz archive")
    x = rng.random((20, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", x=x, y=np.arange(20) % 2)
    out["nan"] = (tmp_path / "nan.npz", "1 NaN")
    np.savez(tmp_path / "one_class.npz", x=rng.random((20, 1, 4, 4)), y=np.zeros(20, dtype=np.int64))
    out["one_class"] = (tmp_path / "one_class.npz", "single class")
    np.savez(tmp_path / "few.npz", x=rng.random((5, 1, 4, 4)), y=np.arange(5))
    out["few"] = (tmp_path / "few.npz", "need at least 2 per class")
    mask = np.zeros(20, bool)
    mask[:10] = True
    np.savez(tmp_path / "nomask.npz", x=rng.random((20, 3)), edge_index=np.array([[0, 1], [1, 2]]),
             y=np.arange(20) % 2, train_mask=np.zeros(20, bool), val_mask=mask, test_mask=~mask)
    out["empty_train_mask"] = (tmp_path / "nomask.npz", "train_mask selects no node")
    return out


@pytest.mark.parametrize("case", ["empty", "truncated", "strings", "random", "nan", "one_class", "few",
                                  "empty_train_mask"])
def test_bad_data_file_is_one_line_and_exit_2(tmp_path, capsys, no_training, case):
    path, message = _files(tmp_path)[case]
    assert _search(tmp_path, "nbg" if case == "empty_train_mask" else "nb201", path) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and message in err and str(path) in err, err
    assert err.count("\n") == 1 and "Traceback" not in out + err and "allow_pickle" not in err
    assert not no_training and not (tmp_path / "h.db").exists()


@pytest.mark.parametrize(("space", "data", "message"), [
    ("nbg", "sklearn:digits?classes=0-1", "space 'nbg' cannot train on the image data"),
    ("nb201", "pyg:sbm?nodes=40&blocks=2", "space 'nb201' cannot train on the graph data"),
])
def test_data_of_the_other_kind_is_refused_before_training(tmp_path, capsys, no_training, space, data, message):
    assert _search(tmp_path, space, data) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not no_training and not (tmp_path / "h.db").exists()


def test_the_library_refuses_the_other_kind_before_recording(tmp_path, no_training):
    from metanas.db import ExperimentDatabase
    from metanas.exceptions import ConfigError
    from metanas.networks._data import load_data
    from metanas.pipeline import SearchSettings, run_real_search
    from metanas.spaces import get_space

    data = load_data("sklearn:digits?classes=0-1")
    with ExperimentDatabase(tmp_path / "lib.db") as db:
        with pytest.raises(ConfigError, match="cannot train on the image data"):
            run_real_search(db, get_space("nbg"), data, data.task("t"), settings=SearchSettings(budget=2, population=2))
        assert db.get_all_tasks() == [] and not no_training


def test_threads_above_the_cores_and_budget_above_the_space_warn(tmp_path, caplog, no_training, monkeypatch):
    import metanas.pipeline

    monkeypatch.setattr(metanas.pipeline, "available_cores", lambda: 2)
    with caplog.at_level(logging.WARNING, logger="metanas.pipeline"):
        assert _search(tmp_path, "nb201", "sklearn:digits?classes=0-1", "--threads", "3") == 0
    assert "threads=3 is more than the 2 CPU core(s) available" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="metanas.pipeline"):
        assert _search(tmp_path, "nb201", "sklearn:digits?classes=0-1", "--threads", "2", "--budget", "2") == 0
    assert "threads=" not in caplog.text and "budget=" not in caplog.text


def test_budget_above_the_space_warns(tmp_path, caplog, no_training):
    from metanas.db import ExperimentDatabase
    from metanas.networks._data import load_data
    from metanas.pipeline import SearchSettings, run_real_search
    from metanas.spaces import NB201Space

    class Small(NB201Space):  # the same space, reporting 3 distinct architectures
        distinct_size = 3

    data = load_data("sklearn:digits?classes=0-1")
    options = {"population_size": 2, "tournament_size": 2}
    with ExperimentDatabase(tmp_path / "lib.db") as db, caplog.at_level(logging.WARNING, logger="metanas.pipeline"):
        run_real_search(db, Small(), data, data.task("a"), settings=SearchSettings(3, 2, strategy_options=options))
        assert "budget=" not in caplog.text
        run_real_search(db, Small(), data, data.task("b"), settings=SearchSettings(4, 2, strategy_options=options))
    assert "budget=4 is larger than the 3 distinct architectures of space 'nb201'" in caplog.text
