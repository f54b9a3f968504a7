"""run_loto writes each job's rows as it finishes, and resumes an interrupted run from them."""

from __future__ import annotations

import csv
import gzip
import json

import pytest

import metanas.benchmarks.loto._runner as runner
from metanas.benchmarks.loto import LotoSettings, run_loto
from metanas.cli import main
from metanas.exceptions import ConfigError

SETTINGS = {"suite": "nb201", "methods": ("random", "dataset_meta"), "seeds": 2, "history_seeds": 2, "budget": 25,
            "history_size": 100, "population_size": 10, "tournament_size": 3, "workers": 1}
# jobs: random on each of the 3 tasks, then dataset_meta per (history seed, task): 3 + 6 = 9


class Interrupted(Exception):
    pass


def _interrupt_after(monkeypatch, n: int, seen: list, out) -> None:
    real = runner._run_job

    def job(job, settings, cache_dir):
        if len(seen) == n:
            # what the folder holds when the run dies: the rows of every finished job, on disk
            with open(out / "runs.csv") as f:
                seen.append(sum(1 for _ in csv.DictReader(f)))
            raise Interrupted
        seen.append(job)
        return real(job, settings, cache_dir)

    monkeypatch.setattr(runner, "_run_job", job)


def _read(out):
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    with gzip.open(out / "curves.csv.gz", "rt") as f:
        curves = f.read()
    summary = json.loads((out / "summary.json").read_text())
    return rows, curves, {k: v for k, v in summary.items() if k not in ("seconds", "date", "workers")}


def test_an_interrupted_run_keeps_its_finished_jobs_and_resumes_to_the_same_results(tmp_path, nb201_dir, monkeypatch):
    settings = LotoSettings(**SETTINGS, nb201_dir=str(nb201_dir))
    full = tmp_path / "full"
    run_loto(settings, out=full)
    cut = tmp_path / "cut"
    seen: list = []
    _interrupt_after(monkeypatch, 4, seen, cut)
    with pytest.raises(Interrupted):
        run_loto(settings, out=cut)
    # before: nothing was written until the end; now 4 jobs' rows are on disk: 3 random x 2 seeds + 1 fold x 2
    assert seen[-1] == 3 * 2 + 2 and (cut / "progress.json").is_file()
    assert not (cut / "summary.json").exists()
    monkeypatch.undo()
    ran: list = []
    real = runner._run_job
    monkeypatch.setattr(runner, "_run_job", lambda job, s, c: ran.append(job) or real(job, s, c))
    result = run_loto(settings, out=cut, resume=True)
    assert len(ran) == 9 - 4 and not set(ran) & set(seen[:4])  # only the jobs that had not finished
    assert _read(cut) == _read(full)  # rows, curves and summary as an uninterrupted run's
    assert len(result.runs) == 3 * 2 + 3 * 2 * 2 and not (cut / "progress.json").exists()
    ran.clear()
    run_loto(settings, out=cut, resume=True)  # a finished run resumes to itself, running nothing
    assert ran == [] and _read(cut) == _read(full)


def test_a_job_cut_off_while_appending_runs_again(tmp_path, nb201_dir):
    settings = LotoSettings(**SETTINGS, nb201_dir=str(nb201_dir))
    full = tmp_path / "full"
    run_loto(settings, out=full)
    cut = tmp_path / "cut"
    cut.mkdir()
    lines = (full / "runs.csv").read_text().splitlines(keepends=True)
    (cut / "runs.csv").write_text("".join(lines[:10]) + lines[10][:15])  # the last line half written
    (cut / "curves.csv.gz").write_bytes((full / "curves.csv.gz").read_bytes()[:-200])  # a truncated member
    (cut / "progress.json").write_text(json.dumps({"settings": settings.to_dict()}))
    run_loto(settings, out=cut, resume=True)
    assert _read(cut) == _read(full)


def test_resume_refuses_other_settings_and_a_folder_without_a_run(tmp_path, nb201_dir, capsys):
    settings = LotoSettings(**SETTINGS, nb201_dir=str(nb201_dir))
    with pytest.raises(ConfigError, match="holds no LOTO run to resume"):
        run_loto(settings, out=tmp_path / "empty", resume=True)
    with pytest.raises(ConfigError, match="'resume' needs the output folder"):
        run_loto(settings, resume=True)
    out = tmp_path / "run"
    (out).mkdir()
    (out / "progress.json").write_text(json.dumps({"settings": settings.to_dict() | {"seeds": 3}}))
    with pytest.raises(ConfigError, match=r"has other settings \(\['seeds'\]\)"):
        run_loto(settings, out=out, resume=True)
    argv = ["bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--tasks", "cifar10", "--seeds", "1",
            "--history-seeds", "1", "--budget", "20", "--workers", "1", "--out", str(tmp_path / "cli")]
    assert main(argv) == 0
    assert main([*argv, "--resume"]) == 0
    assert main([*argv[:-2], "--seeds", "2", "--out", str(tmp_path / "cli"), "--resume"]) == 2
    assert "has other settings (['seeds'])" in capsys.readouterr().err


def test_summarising_a_finished_run_again_keeps_its_time(tmp_path, nb201_dir):
    import json

    settings = LotoSettings(**SETTINGS, nb201_dir=str(nb201_dir))
    out = tmp_path / "done"
    first = run_loto(settings, out=out).summary["seconds"]
    again = run_loto(settings, out=out, resume=True).summary
    # before: the resumed summary said only its own few seconds, as if the benchmark had taken them
    assert again["seconds"] >= first
    assert json.loads((out / "summary.json").read_text())["seconds"] == again["seconds"]
