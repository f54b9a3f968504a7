"""Ray Tune integration: metanas spaces, warm starts and recording on Tune experiments.

Needs Ray Tune (``pip install metanas[ray]``); importing this package without it raises an
`ImportError` naming that command.

* `param_space` gives a space's Tune ``param_space`` (one ``tune.choice`` per parameter of
  the space's codec, `metanas.integrations.codec_for`); `config_to_graph` reads a trial's
  config back as a `ModelGraph`; `benchmark_trainable` scores it by table lookup.
* `points_to_evaluate` gives the warm-started population as complete Tune configs with
  where each came from (`WarmStartPoints`), for any search algorithm's ``points_to_evaluate``.
* `MetanasTuneCallback` records every finished trial into the experiment database as one
  search run, exactly once; failed trials as ``trial_failed``, never as scores.
"""

from __future__ import annotations

from metanas.integrations import require_ray

require_ray()

from metanas.integrations.ray._callback import RAY_STRATEGY, MetanasTuneCallback
from metanas.integrations.ray._tune import (
    WarmStartPoints,
    benchmark_trainable,
    config_to_graph,
    graph_to_config,
    param_space,
    points_to_evaluate,
)

__all__ = [
    "RAY_STRATEGY",
    "MetanasTuneCallback",
    "WarmStartPoints",
    "benchmark_trainable",
    "config_to_graph",
    "graph_to_config",
    "param_space",
    "points_to_evaluate",
]
