"""User objectives that the worker-process tests import as ``module:function``."""

from __future__ import annotations

import os
import time

from metanas.integrations.optuna import suggest_architecture

#: Trial number at which `stall_once` stops (and waits to be killed).
STALL_AT = 4


def stall_once(trial) -> float:
    """A cheap score of an NAS-Bench-Graph architecture; trial `STALL_AT` writes a marker file and hangs."""
    graph = suggest_architecture(trial, "nbg")
    if trial.number == STALL_AT:
        with open(os.environ["METANAS_TEST_MARKER"], "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(120)
    return float(sum(op in ("gcn", "gat") for op in graph.ops)) + trial.number / 1000


def cheap(trial) -> float:
    """A cheap deterministic score of an NAS-Bench-Graph architecture (no table)."""
    graph = suggest_architecture(trial, "nbg")
    return float(sum(op in ("gcn", "gat") for op in graph.ops)) + len(graph.edges) / 100


def finished_elsewhere(trial) -> float:
    """Trial 1 is finished by "another worker" while it runs (the storage race of SQLite); others score cheaply."""
    from optuna.trial import TrialState

    value = cheap(trial)
    if trial.number == 1:
        trial.study._storage.set_trial_state_values(trial._trial_id, state=TrialState.COMPLETE, values=[value])
    return value
