"""A LOTO run's output folder while it runs: each job's rows appended as it finishes, and resuming.

While `run_loto` runs with an output folder, ``progress.json`` holds its settings and every
finished job (one held-out task and history seed, or one search seed loop of a method without
history) appends its rows to ``runs.csv`` and its curves to ``curves.csv.gz`` (one gzip member
per job), flushed and synced to disk, so an interrupted run leaves every finished job's
results. Resuming reads them back, keeps the jobs whose rows are all there (a job cut off while
appending runs again) and runs the others; the finished run then writes the three files in
their usual order, as an uninterrupted run does, and removes ``progress.json``.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from metanas.benchmarks.loto._results import CURVE_COLUMNS, RUN_COLUMNS
from metanas.benchmarks.loto._settings import LotoSettings
from metanas.exceptions import ConfigError

__all__ = ["PROGRESS_FILE", "Progress"]

logger = logging.getLogger(__name__)

#: The file that marks a run in progress (its settings); removed when the run completes.
PROGRESS_FILE = "progress.json"
#: Settings that change how a run runs, not what it measures (a resumed run may change them).
_FREE = ("workers", "cache_dir")

_INT = ("seed", "evals_to_target", "censored")
_FLOAT = ("regret_20", "regret_50", "regret_100", "regret_B", "test_metric")
#: Columns that older ``runs.csv`` files lack.
_OPTIONAL = ("time_to_target",)

Result = tuple[dict, np.ndarray]


def _comparable(settings: dict) -> str:
    settings = {"noise": "none", **settings}  # runs started before the noise option had none
    return json.dumps({k: v for k, v in settings.items() if k not in _FREE}, sort_keys=True, default=str)


def _row(raw: dict) -> dict | None:
    """A ``runs.csv`` row with the types `run_one` gives it; ``None`` for a line cut off mid-write."""
    if any(raw.get(c) is None for c in RUN_COLUMNS if c not in _OPTIONAL):
        return None
    try:
        row = {"task": raw["task"], "method": raw["method"],
               "history_seed": "" if raw["history_seed"] == "" else int(raw["history_seed"])}
        row |= {k: int(raw[k]) for k in _INT}
        row |= {k: float(raw[k]) for k in _FLOAT}
    except ValueError:
        return None
    row["info"] = raw["info"]
    try:  # older runs.csv have no time_to_target; an empty cell is a table without costs
        row["time_to_target"] = float(raw["time_to_target"]) if raw.get("time_to_target") else None
    except ValueError:
        return None
    return {c: row[c] for c in RUN_COLUMNS}


def _key(row: dict) -> tuple:
    return row["task"], row["method"], row["history_seed"], row["seed"]


def _read_curves(path: Path) -> dict[tuple, np.ndarray]:
    curves: dict[tuple, list[float]] = {}
    try:
        with gzip.open(path, "rt", newline="") as f:
            for rec in csv.DictReader(f):
                if any(rec.get(c) is None for c in CURVE_COLUMNS):
                    break
                hs = "" if rec["history_seed"] == "" else int(rec["history_seed"])
                curves.setdefault((rec["task"], rec["method"], hs, int(rec["seed"])), []).append(
                    float(rec["best_so_far"]))
    except (EOFError, OSError, zlib.error, ValueError):  # a member cut off mid-write: keep what came before
        logger.warning("%s ends in a partly written job; its results are run again", path)
    return {k: np.asarray(v, dtype=float) for k, v in curves.items()}


class Progress:
    """The output folder of a running LOTO benchmark.

    Args:
        out: the folder (created if missing).
        settings: the run's settings.
        resume: continue the run the folder holds (its settings must equal ``settings`` but for
            ``workers`` and ``cache_dir``); otherwise the folder's results are replaced.

    Raises:
        ConfigError: ``resume`` and the folder holds no run, or one with other settings.
    """

    def __init__(self, out: str | Path, settings: LotoSettings, *, resume: bool = False) -> None:
        self.out = Path(out)
        self.settings = settings
        self.runs_path = self.out / "runs.csv"
        self.curves_path = self.out / "curves.csv.gz"
        self.done: dict[tuple, list[Result]] = {}
        previous: list[Result] = self._read() if resume else []
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / PROGRESS_FILE).write_text(json.dumps({"settings": settings.to_dict()}, indent=1))
        self._previous = previous
        self._start(previous)

    # ------------------------------------------------------------------ resume
    def _read(self) -> list[Result]:
        marker, summary = self.out / PROGRESS_FILE, self.out / "summary.json"
        if marker.is_file():
            stored = json.loads(marker.read_text())["settings"]
        elif summary.is_file():
            stored = json.loads(summary.read_text())["settings"]
        else:
            raise ConfigError(f"--resume: {self.out} holds no LOTO run to resume (no {PROGRESS_FILE} or summary.json); "
                              "drop --resume to start one")
        if _comparable(stored) != _comparable(self.settings.to_dict()):
            ours = self.settings.to_dict()
            diff = sorted(k for k in set(stored) | set(ours) if k not in _FREE and stored.get(k) != ours.get(k))
            raise ConfigError(f"--resume: the run in {self.out} has other settings ({diff}); resume it with its "
                              "own settings, or give a new --out")
        if not self.runs_path.is_file():
            return []
        with open(self.runs_path, newline="") as f:
            rows = [r for r in map(_row, csv.DictReader(f)) if r is not None]
        curves = _read_curves(self.curves_path) if self.curves_path.is_file() else {}
        budget = self.settings.budget
        return [(r, curves[_key(r)]) for r in rows if len(curves.get(_key(r), ())) == budget]

    def finished(self, job_key: tuple, methods: Sequence[str]) -> list[Result] | None:
        """The stored results of a job (``job_key``: its task and history seed, ``""`` for none),
        if all of its ``len(methods) x seeds`` runs are there; else ``None``."""
        task, history_seed = job_key
        found = {_key(r): (r, c) for r, c in self._previous
                 if r["task"] == task and r["history_seed"] == history_seed and r["method"] in methods}
        if len(found) != len(methods) * self.settings.seeds:
            return None
        return [found[(task, m, history_seed, s)] for m in methods for s in range(self.settings.seeds)]

    # ------------------------------------------------------------------ writing
    def _start(self, previous: Iterable[Result]) -> None:
        """Rewrite the two files with the kept results (a job cut off mid-append is dropped later)."""
        with open(self.runs_path, "w", newline="") as f:
            csv.DictWriter(f, fieldnames=RUN_COLUMNS, extrasaction="ignore").writeheader()
        with gzip.open(self.curves_path, "wt", newline="") as f:
            csv.writer(f).writerow(CURVE_COLUMNS)

    def keep(self, results: list[Result]) -> None:
        """Write back the results of a job finished before the run was resumed."""
        self.add(results)

    def add(self, results: list[Result]) -> None:
        """Append one finished job's rows and curves, flushed and synced to disk."""
        with open(self.runs_path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=RUN_COLUMNS, extrasaction="ignore").writerows(r for r, _ in results)
            f.flush()
            os.fsync(f.fileno())
        with open(self.curves_path, "ab") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb") as gz:  # one more member: readers see one stream
                text = _curve_lines(results)
                gz.write(text.encode())
            raw.flush()
            os.fsync(raw.fileno())

    def close(self) -> None:
        """The run completed (its files are written): the folder no longer holds a run in progress."""
        (self.out / PROGRESS_FILE).unlink(missing_ok=True)


def _curve_lines(results: Iterable[Result]) -> str:
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    for row, curve in results:
        prefix = [row["task"], row["method"], row["history_seed"], row["seed"]]
        w.writerows([*prefix, i + 1, f"{v:.6g}"] for i, v in enumerate(curve))
    return buf.getvalue()
