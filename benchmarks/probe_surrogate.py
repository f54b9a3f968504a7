"""Offline probe of the learned surrogate (issue #23): the Bayesian linear head over the
meta-learner's embedding, on NAS-Bench-Graph, leave one task out.

For each held-out task: the fold model is trained (`metanas.training.learned_embedding`) on the
other 7 tasks' 1,000 random rows (the LOTO history of ``--history-seed``), never on the held-out
task; then, with n random observations of the held-out task (``--draws`` draws per n), each
model's predicted mean over the whole table is compared with the table:

* ``spearman``: Spearman correlation of the predicted means with the objective (all rows);
* ``first_top``: 1-based position of the first top-0.1% architecture in the order of the
  predicted mean (best first; observed architectures included).

Models (higher-is-better targets are `metanas.transfer.normal_scores` of the observations):

* ``ablr``: `BayesianHead` from `head_prior(past_heads, mean=prior_mean(task))`, conditioned on
  the observations (n = 0: the prior predictive);
* ``flat``: the same head with a flat prior (mean 0, isotropic covariance of the past heads'
  average scale: ridge on the embedding); undefined at n = 0;
* ``past_best_obs``: the single past head whose scores rank the n observations best (Kendall tau);
  n = 0: the past heads' mean;
* ``past_best_oracle``: the single past head that ranks the whole held-out table best (chosen
  with the held-out table: a reference, not a method).

Run (one thread; about 10-20 minutes)::

    OMP_NUM_THREADS=1 python -m benchmarks.probe_surrogate --cache-dir /tmp/probe-cache --out probe.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from metanas.training import learned_embedding
from scipy.stats import kendalltau, spearmanr

from metanas.benchmarks import get_suite
from metanas.benchmarks.loto._history import build_history
from metanas.benchmarks.loto._runner import history_key
from metanas.benchmarks.loto._settings import LotoSettings
from metanas.transfer import BayesianHead, head_prior, normal_scores
from metanas.validation import Direction

NS = (0, 10, 20, 40)
MODELS = ("ablr", "flat", "past_best_obs", "past_best_oracle")


def _first_top(pred: np.ndarray, top: np.ndarray) -> int:
    order = np.argsort(-pred, kind="stable")
    return int(np.flatnonzero(top[order])[0]) + 1


def _spearman(pred: np.ndarray, values: np.ndarray) -> float:
    return float(spearmanr(pred, values).statistic)


def probe_task(suite, settings: LotoSettings, held_out: str, history_seed: int, draws: int, cache_dir: Path,
               config: dict | None) -> dict:
    """Per n and model: the Spearman and first-top position of each draw, and the fold's training seconds."""
    table = suite.table(held_out)
    values = table.values * Direction(table.direction).sign
    top = values >= np.quantile(values, 0.999)
    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        db, past = build_history(settings, suite, held_out, history_seed, f"sqlite:///{tmp}/history.db")
        try:
            if held_out in past:
                raise RuntimeError(f"the history of fold {held_out} holds the held-out task")
            t0 = time.perf_counter()
            emb = learned_embedding(db, table.space, past, history_key=history_key(settings, held_out, history_seed),
                                    config=config, cache_dir=cache_dir, seed=0)
            seconds = time.perf_counter() - t0
        finally:
            db.close()
    if held_out in emb.past_task_ids:
        raise RuntimeError(f"the fold model of {held_out} was trained on it")
    t0 = time.perf_counter()
    phi = emb.embed(table.graphs)
    embed_seconds = time.perf_counter() - t0
    heads = emb.past_heads
    prior = head_prior(heads, mean=emb.prior_mean(table.task))
    flat = BayesianHead(np.zeros(emb.dim), np.mean(np.sum(heads**2, axis=1)) / emb.dim * np.eye(emb.dim), prior.noise)
    past_scores = phi @ heads.T  # [N, T]
    oracle = int(np.argmax([_spearman(past_scores[:, t], values) for t in range(len(heads))]))
    out: dict = {"task": held_out, "train_seconds": round(seconds, 1), "embed_seconds": round(embed_seconds, 2),
                 "training": emb.card["training"].get("seconds"), "epochs": emb.card["training"].get("epochs"),
                 "mean_val_tau": emb.card["validation"].get("mean_kendall_tau"),
                 "use_mlp_prior": emb.use_mlp_prior, "oracle_head": emb.past_task_ids[oracle], "n": {}}
    for n in NS:
        rows: dict[str, list[tuple[float, int]]] = {m: [] for m in MODELS}
        for draw in range(draws if n else 1):
            rng = np.random.default_rng([history_seed, draw, n])
            obs = rng.choice(len(values), size=n, replace=False)
            y = normal_scores(values[obs])
            preds = {"ablr": prior.condition(phi[obs], y).predict(phi)[0],
                     "past_best_oracle": past_scores[:, oracle]}
            if n:
                preds["flat"] = flat.condition(phi[obs], y).predict(phi)[0]
                taus = [kendalltau(past_scores[obs, t], y).statistic for t in range(len(heads))]
                preds["past_best_obs"] = past_scores[:, int(np.nanargmax(taus))]
            else:
                preds["past_best_obs"] = past_scores.mean(axis=1)
            for m, p in preds.items():
                rows[m].append((_spearman(p, values), _first_top(p, top)))
        out["n"][n] = {m: {"spearman": [r[0] for r in v], "first_top": [r[1] for r in v]} for m, v in rows.items() if v}
    return out


def table_markdown(results: list[dict]) -> str:
    """Mean Spearman (over tasks and draws) / median first-top position (over tasks and draws)."""
    lines = ["| n | " + " | ".join(MODELS) + " |", "|---|" + "---|" * len(MODELS)]
    for n in NS:
        cells = []
        for m in MODELS:
            sp = [s for r in results if m in r["n"][n] for s in r["n"][n][m]["spearman"]]
            ft = [s for r in results if m in r["n"][n] for s in r["n"][n][m]["first_top"]]
            cells.append(f"{np.mean(sp):.2f} / {np.median(ft):.0f}" if sp else "–")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += ["", "| task | s train | val tau | MLP prior | " + " | ".join(f"ablr n={n}" for n in NS)
              + " | flat n=40 | oracle head |", "|---|---|---|---|" + "---|" * len(NS) + "---|---|"]
    for r in results:
        ab = [f"{np.mean(r['n'][n]['ablr']['spearman']):.2f} / {np.median(r['n'][n]['ablr']['first_top']):.0f}"
              for n in NS]
        fl = r["n"][40]["flat"]
        lines.append(f"| {r['task']} | {r['training']} | {r['mean_val_tau']:.3f} | {r['use_mlp_prior']} | "
                     + " | ".join(ab) + f" | {np.mean(fl['spearman']):.2f} / {np.median(fl['first_top']):.0f} | "
                     f"{r['oracle_head']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="*", default=None, help="held-out tasks (default: all 8)")
    parser.add_argument("--history-seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=None, help="training YAML (default: the library defaults)")
    parser.add_argument("--out", type=Path, default=None, help="write the per-task results as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    import torch

    torch.set_num_threads(1)
    config = None
    if args.config is not None:
        from metanas.training import load_config

        config = load_config(args.config)
    settings = LotoSettings(suite="nasbench-graph")
    suite = get_suite("nasbench-graph")
    tasks = args.tasks or list(suite.default_tasks)
    results = []
    for task in tasks:
        results.append(probe_task(suite, settings, task, args.history_seed, args.draws, args.cache_dir, config))
        r = results[-1]
        print(f"{task}: trained {r['train_seconds']} s, embedded {r['embed_seconds']} s, val tau "
              f"{r['mean_val_tau']:.3f}, MLP prior {r['use_mlp_prior']}", file=sys.stderr, flush=True)
        if args.out is not None:
            args.out.write_text(json.dumps(results, indent=1))
    print(table_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
