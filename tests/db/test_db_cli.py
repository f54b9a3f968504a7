"""``metanas db import``, ``metanas db show`` (and ``metanas demo``'s bad input)."""

from __future__ import annotations

import re

import pytest

from metanas.cli import main
from metanas.db import ExperimentDatabase


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_import_and_show(capsys, tmp_path, nbg_suite):
    path = str(tmp_path / "exp.db")
    code, out, err = run(capsys, "db", "import", "--suite", "nasbench-graph", "--tasks", "proteins", "--db", path)
    assert code == 0, err
    table = nbg_suite.table("nbg/proteins")
    assert "nbg/proteins: 2,021 architectures, objective val_acc (maximize)" in out
    assert f"best {table.best_value():.4g}" in out and "imported as run 1" in out
    assert "1 task(s), 1 run(s), 2,021 architecture(s), 2,021 evaluation(s)" in out

    code, out, _ = run(capsys, "db", "import", "--suite", "nasbench-graph", "--tasks", "nbg/proteins", "--db", path)
    assert code == 0 and "already imported as run 1, skipped" in out
    with ExperimentDatabase(path) as db:
        assert db.summary()["runs"] == 1
        best = db.top_evaluations("nbg/proteins", 2)

    code, out, _ = run(capsys, "db", "show", "--db", path, "--top", "2")
    assert code == 0
    assert "nbg/proteins  (ogbn-proteins, node_multilabel_classification)  objective val_acc (maximize)" in out
    assert "1 run(s), 2,021 evaluation(s), 2,021 distinct architecture(s)" in out
    lines = [ln for ln in out.splitlines() if re.match(r"\s+\d+\. val_acc", ln)]
    assert len(lines) == 2
    for line, t in zip(lines, best):
        assert f"val_acc {t.value:.6g}" in line and t.graph.identity[:12] in line


@pytest.mark.slow
def test_db_import_nb201_with_another_objective(capsys, tmp_path, nb201_dir, nb201_suite):
    path = str(tmp_path / "exp.db")
    code, out, err = run(capsys, "db", "import", "--suite", "nb201", "--nb201-dir", str(nb201_dir),
                         "--tasks", "cifar10", "--objective", "test_acc_200ep", "--db", path)
    assert code == 0, err
    assert "nb201/cifar10: 15,625 architectures, objective test_acc_200ep (maximize), best 94.37" in out
    with ExperimentDatabase(path) as db:
        table = nb201_suite.table("nb201/cifar10", "test_acc_200ep")
        assert db.top_evaluations("nb201/cifar10", 1)[0].value == table.best_value()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["db", "import", "--suite", "nasbench-201", "--db", "{tmp}/x.db"],
         r"unknown suite 'nasbench-201'; choose one of \['nasbench-graph', 'nb201', 'nb201-pypi'\]"),
        (["db", "import", "--suite", "nasbench-graph", "--tasks", "cora", "mnist", "--db", "{tmp}/x.db"],
         r"unknown task 'mnist' in suite 'nasbench-graph'"),
        (["db", "import", "--suite", "nasbench-graph", "--nb201-dir", "{tmp}", "--db", "{tmp}/x.db"],
         "--nb201-dir applies to --suite nb201 only"),
        (["db", "import", "--suite", "nasbench-graph", "--tasks", "proteins", "--objective", "speed",
          "--db", "{tmp}/x.db"], "objective must be one of"),
        (["db", "import", "--suite", "nasbench-graph", "--tasks", "proteins", "--db", "{tmp}/no/such/dir/x.db"],
         "the directory .*no/such/dir does not exist"),
        (["db", "show", "--db", "{tmp}/missing.db"], "there is no experiment database at"),
        (["db", "show", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/none"], "could not open the experiment"),
        (["db", "show", "--db", "{tmp}"], "is a directory"),
        (["demo", "--db", "{tmp}/d.db", "--held-out", "cifar10"], "unknown task 'cifar10' in suite 'nasbench-graph'"),
    ],
)
def test_bad_input_exits_2_without_traceback(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    assert err.startswith("error: ") and re.search(message, err), err
    assert "Traceback" not in err + out
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "d.db").exists()


@pytest.mark.parametrize("argv", [["db", "--help"], ["db", "import", "--help"], ["db", "show", "--help"],
                                  ["demo", "--help"]])
def test_help(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: metanas") and ("--db" in out or "SUBCOMMAND" in out)


def test_db_without_a_subcommand_prints_help(capsys):
    code, out, _ = run(capsys, "db")
    assert code == 2 and "import" in out and "show" in out
