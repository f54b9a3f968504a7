"""Bad input on the command line prints one line naming the option and the fix, and exits 2
(issue 13 item 4 and part of 9): no traceback, and no work started before the refusal."""

from __future__ import annotations

import pytest

from metanas.cli import main


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.startswith("error: ") and message in err, err
    assert "Traceback" not in out + err
    return err


@pytest.fixture()
def bad_configs(tmp_path):
    folder = tmp_path / "cfgdir"
    folder.mkdir()
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary")
    return {"directory": (folder, "is a directory"), "binary": (binary, "is not UTF-8 text")}


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory, nbg_suite):
    from metanas.db import ExperimentDatabase

    path = tmp_path_factory.mktemp("db") / "history.db"
    with ExperimentDatabase(path) as db:
        db.import_table(nbg_suite.table("nbg/cora"), rows=list(range(0, 26206, 500)))
    return path


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_warm_start_config_that_is_not_a_yaml_file(capsys, tmp_path, tiny_db, bad_configs, kind):
    path, message = bad_configs[kind]
    err = _refused(capsys, ["warm-start", "--db", tiny_db, "--suite", "nasbench-graph", "--task", "photo",
                            "--config", path], message)
    assert "warm-start config" in err and str(path) in err


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_train_config_that_is_not_a_yaml_file(capsys, tmp_path, tiny_db, bad_configs, kind):
    path, message = bad_configs[kind]
    err = _refused(capsys, ["train", "--db", tiny_db, "--out", tmp_path / "ck", "--config", path], message)
    assert "training config" in err
    assert not (tmp_path / "ck").exists()


def test_warm_start_negative_seed(capsys, tiny_db):
    _refused(capsys, ["warm-start", "--db", tiny_db, "--suite", "nasbench-graph", "--task", "photo",
                      "--seed", "-5"], "--seed must be an integer >= 0")


def test_train_out_that_is_a_file_is_refused_before_training(capsys, tmp_path, tiny_db, monkeypatch):
    import metanas.training

    def no_training(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("training started although --out is a file")

    monkeypatch.setattr(metanas.training, "fit", no_training)
    existing = tmp_path / "weights.txt"
    existing.write_text("keep me")
    for out in (existing, existing / "sub"):
        err = _refused(capsys, ["train", "--db", tiny_db, "--out", out], "--out must be a folder")
        assert str(existing) in err
    assert existing.read_text() == "keep me"


def test_fit_refuses_a_file_as_out_dir_before_training(tmp_path, tiny_db):
    from metanas.training import fit

    from metanas.db import ExperimentDatabase
    from metanas.exceptions import ConfigError

    existing = tmp_path / "f"
    existing.write_text("")
    with ExperimentDatabase(tiny_db) as db, pytest.raises(ConfigError, match="out_dir must be a folder"):
        fit(db, space_id="nbg", out_dir=existing, config={"max_epochs": 1})


def test_train_unknown_exclude_task_is_refused(capsys, tmp_path, tiny_db, monkeypatch):
    """A typo in --exclude-task used to be ignored, so the held-out task leaked into training."""
    import metanas.training

    monkeypatch.setattr(metanas.training, "fit", lambda *a, **k: pytest.fail("training started"))
    for typo in ("cora", "nbg/coraa"):
        err = _refused(capsys, ["train", "--db", tiny_db, "--out", tmp_path / "ck", "--exclude-task", "nbg/cora",
                                "--exclude-task", typo], f"--exclude-task '{typo}': not a task of the database")
        assert "known tasks: ['nbg/cora']" in err
    assert not (tmp_path / "ck").exists()


def test_bench_out_that_is_a_file_is_refused_before_running(capsys, tmp_path, monkeypatch):
    from metanas.benchmarks import loto

    monkeypatch.setattr(loto, "run_loto", lambda *a, **k: pytest.fail("the benchmark started"))
    existing = tmp_path / "results"
    existing.write_text("")
    _refused(capsys, ["bench", "--seeds", "1", "--history-seeds", "1", "--budget", "20", "--out", existing],
             "--out must be a folder")


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_bench_workers_below_one_is_refused(capsys, tmp_path, monkeypatch, workers):
    from metanas.benchmarks import loto

    monkeypatch.setattr(loto, "run_loto", lambda *a, **k: pytest.fail("the benchmark started"))
    _refused(capsys, ["bench", "--workers", workers, "--out", tmp_path / "o"], "--workers must be an integer >= 1")
