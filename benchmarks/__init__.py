"""The benchmark lab of metanas (not installed): experiment scripts, method variants, results.

Run from the repository root as ``python -m benchmarks.NAME`` (e.g. ``python -m
benchmarks.report benchmarks/results/nasbench-graph-top0.1``). The installed library
(`metanas.benchmarks`) holds the suites, the tables and the LOTO protocol engine behind
``metanas bench``; this folder holds what the project measured with them:

* ``methods``: the experiment variants of the registered LOTO methods (named option sets)
  and the nested-choice method, registered when the module is imported (``metanas bench
  --plugin benchmarks.methods``);
* ``nested``: the nested-choice protocol (``transfer-bo-nested``);
* ``speed_*``, ``task_relations``, ``build_params``, ``random_history``, ``real_search``,
  ``optuna_speedup``, ``report``: scripts;
* ``probe_surrogate``: the learned surrogate's offline probe (Spearman and first-top position by
  number of observations);
* ``results/``: the committed result folders (``runs.csv``, ``curves.csv.gz``, ``summary.json``).

Nothing under ``metanas/`` imports this package.
"""
