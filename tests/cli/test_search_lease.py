"""Two concurrent ``metanas search --resume`` of one run (issue 22, N3): the second is refused with
one line while the first holds the run's lease, nothing is lost, and after the first is killed
(``kill -9``) a resume continues the run at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from metanas.cli import main
from metanas.db import ExperimentDatabase
from metanas.networks._train import ImageClassificationEvaluator
from metanas.search import DatabaseRecorder, EvaluationResult

TINY = """
search: {budget: 6, population: 3, strategy_options: {population_size: 3, tournament_size: 2}}
training:
  image: {epochs: 1, network: {C: 2, N: 1}}
"""

_HOLDER = textwrap.dedent("""
    import sys, time
    from metanas.db import ExperimentDatabase
    db = ExperimentDatabase(sys.argv[1])
    lease = db.lease_run(int(sys.argv[2]))
    print("held", flush=True)
    time.sleep(600)
""")


@pytest.fixture()
def fake_training(monkeypatch):
    calls: list = []
    state = {"interrupt_at": None}

    def evaluate(self, graph):
        if state["interrupt_at"] is not None and len(calls) == state["interrupt_at"]:
            raise KeyboardInterrupt
        calls.append(graph)
        v = int(graph.identity[:6], 16) / 16**6
        return EvaluationResult(v, {"val_acc": v, "test_acc": v / 2}, 0.01)

    monkeypatch.setattr(ImageClassificationEvaluator, "evaluate", evaluate)
    return calls, state


def _search(tmp_path, *extra):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    return main(["search", "--db", str(tmp_path / "h.db"), "--space", "nb201", "--data", "sklearn:digits?classes=0-4",
                 "--task-id", "digits-a", "--config", str(cfg), "--no-progress", *extra])


def _rows(tmp_path):
    with ExperimentDatabase(tmp_path / "h.db") as db:
        runs = db.runs("digits-a")
        return runs, [(r.run_id, e.step) for r in runs for e in db.trajectory(r.run_id)]


def test_a_second_resume_is_refused_while_the_first_holds_the_run(tmp_path, fake_training, monkeypatch, capsys):
    calls, state = fake_training
    state["interrupt_at"] = 3
    original = DatabaseRecorder.finish
    monkeypatch.setattr(DatabaseRecorder, "finish", lambda self, status: None)  # killed: the run stays running
    assert _search(tmp_path) == 130
    monkeypatch.setattr(DatabaseRecorder, "finish", original)
    state["interrupt_at"] = None
    runs, rows = _rows(tmp_path)
    assert [r.status for r in runs] == ["running"] and len(rows) == 3
    capsys.readouterr()

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "h.db"), str(runs[0].run_id)],
                              stdout=subprocess.PIPE, text=True)  # the first resume, mid-search
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _search(tmp_path, "--resume") == 2
        out, err = capsys.readouterr()
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in out + err
        assert f"run {runs[0].run_id} in " in err and "is being continued by another process" in err
        assert "step=None" not in err
        assert len(calls) == 3 and _rows(tmp_path)[1] == rows  # nothing trained, nothing written
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    assert _search(tmp_path, "--resume") == 0  # the killed holder left no lease
    runs, rows = _rows(tmp_path)
    assert len(runs) == 1 and runs[0].status == "finished"
    assert [s for _, s in rows] == list(range(6)) and len(calls) == 6  # nothing lost, nothing twice


def test_a_resume_is_refused_while_a_fresh_search_writes_the_run(tmp_path, fake_training, monkeypatch, capsys):
    """A search holds the lease of the run it starts, from its first evaluation on."""
    from metanas import pipeline

    seen = {}
    original = pipeline._Recorder.record

    def record(self, step, graph, result):
        original(self, step, graph, result)
        if step == 1:  # mid-search: a resume from "another process" (the lease is per process and run)
            probe = subprocess.run([sys.executable, "-c", textwrap.dedent("""
                import sys
                from metanas.db import ExperimentDatabase, RunLeaseError
                try:
                    ExperimentDatabase(sys.argv[1]).lease_run(int(sys.argv[2]))
                except RunLeaseError as exc:
                    print(exc)
            """), str(tmp_path / "h.db"), str(self.run_id)], check=False, capture_output=True, text=True, timeout=120)
            seen["probe"] = probe.stdout

    monkeypatch.setattr(pipeline._Recorder, "record", record)
    assert _search(tmp_path) == 0
    assert "is being continued by another process" in seen["probe"]
    runs, rows = _rows(tmp_path)
    assert [r.status for r in runs] == ["finished"] and [s for _, s in rows] == list(range(6))
