"""Run leases (issue 22, N3): one process at a time continues a run; a killed holder holds nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from metanas.db import ExperimentDatabase, RunLeaseError
from metanas.exceptions import DatabaseError
from metanas.tasks import TaskMetadata

TASK = TaskMetadata("img/a", "cifar-like", 500, 10, (3, 8, 8), "classification")

_HOLDER = textwrap.dedent("""
    import sys, time
    from metanas.db import ExperimentDatabase
    db = ExperimentDatabase(sys.argv[1])
    leases = [db.lease_run(int(r)) for r in sys.argv[2:]]
    print("held", flush=True)
    time.sleep(600)
""")


def _runs(db_url: str, n: int) -> list[int]:
    with ExperimentDatabase(db_url) as db:
        db.add_task(TASK)
        return [db.start_run(TASK.task_id, "random", space_id="nb201") for _ in range(n)]


def _hold(db_url: str, *run_ids: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, db_url, *map(str, run_ids)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def test_a_lease_held_by_another_process_is_refused_until_that_process_is_killed(db_url):
    run, other = _runs(db_url, 2)
    holder = _hold(db_url, run)
    try:
        with ExperimentDatabase(db_url) as db:
            with pytest.raises(RunLeaseError, match=f"run {run} in .* is being continued by another process"):
                db.lease_run(run)
            with db.lease_run(other) as lease:  # another run is free
                assert lease.held and lease.run_id == other
            assert not lease.held
    finally:
        _kill(holder)
    with ExperimentDatabase(db_url) as db, db.lease_run(run) as lease:  # kill -9 released it
        assert lease.held


def test_releasing_one_lease_keeps_the_others_of_the_process(db_url):
    a, b = _runs(db_url, 2)
    with ExperimentDatabase(db_url) as db:
        first, second = db.lease_run(a), db.lease_run(b)
        first.release()
        first.release()  # idempotent
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import sys
            from metanas.db import ExperimentDatabase, RunLeaseError
            db = ExperimentDatabase(sys.argv[1])
            db.lease_run(int(sys.argv[2])).release()
            try:
                db.lease_run(int(sys.argv[3]))
            except RunLeaseError:
                print("refused")
        """), db_url, str(a), str(b)], check=False, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "refused"
        second.release()


def test_within_one_process_a_run_is_leased_once(db_url):
    (run,) = _runs(db_url, 1)
    with ExperimentDatabase(db_url) as one, ExperimentDatabase(db_url) as two:
        with one.lease_run(run), pytest.raises(RunLeaseError):
            two.lease_run(run)
        with two.lease_run(run) as lease:
            assert lease.held


def test_a_missing_run_or_a_bad_id_is_refused(db_url):
    _runs(db_url, 1)
    with ExperimentDatabase(db_url) as db:
        with pytest.raises(DatabaseError, match="no run 999|run 999"):
            db.lease_run(999)
        with pytest.raises(DatabaseError, match="run_id must be an integer"):
            db.lease_run("1")
