"""Optuna integration: metanas warm starts, recording and search strategies on Optuna studies.

Needs Optuna >= 4 (``pip install metanas[optuna]``); importing this package without it
raises an `ImportError` naming that command.

* `suggest_architecture` (define-by-run) turns an Optuna trial into a `ModelGraph` of a
  registered space; `BenchmarkObjective` scores it by table lookup.
* `warm_start_study` enqueues the warm-started population once per study and task (every
  worker may call it), each trial carrying where it came from in ``metanas_source``.
* `MetanasCallback` records every finished trial into the experiment database as one
  search run, exactly once (the database refuses a second row for a trial number);
  `record_study` does the same for a whole study afterwards, `import_study` brings a past
  study in as history.
* `MetanasSampler` runs a metanas search strategy (by registry name) as an Optuna sampler.
* `run_workers` / ``metanas optuna`` run N worker processes on one
  study (e.g. on PostgreSQL); ``metanas search --engine optuna`` runs the training evaluator
  of ``metanas search`` that way (`metanas.integrations.optuna._training.TrainingObjective`).
"""

from __future__ import annotations

from metanas.integrations import require_optuna

require_optuna()

from metanas.integrations.optuna._import import import_study
from metanas.integrations.optuna._sampler import MetanasSampler
from metanas.integrations.optuna._study import (
    MetanasCallback,
    fail_stale_trials,
    record_study,
    warm_start_study,
)
from metanas.integrations.optuna._suggest import BenchmarkObjective, suggest_architecture
from metanas.integrations.optuna._workers import run_workers

__all__ = [
    "BenchmarkObjective",
    "MetanasCallback",
    "MetanasSampler",
    "fail_stale_trials",
    "import_study",
    "record_study",
    "run_workers",
    "suggest_architecture",
    "warm_start_study",
]
