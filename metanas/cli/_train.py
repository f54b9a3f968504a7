"""``metanas train``: train the meta-learner on an experiment database and write a checkpoint.

``metanas train --db PATH --out checkpoints/NAME [--config configs/train.yaml]
[--exclude-task T ...] [--space SPACE] [--seed N]``
"""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metanas.exceptions import ConfigError

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``train`` command to the CLI's sub-parsers."""
    p = sub.add_parser(
        "train",
        help="train the meta-learner (architecture GNN + task MLP) on an experiment database",
        description=(
            "Train the meta-learner on every task of the database whose evaluations lie in one search space "
            "(a within-task ranking loss; early stopping on held-out architectures), and write a checkpoint "
            "folder: weights.pt (tensors only) and model_card.json."
        ),
    )
    p.add_argument("--db", required=True, help="experiment database: a file path (SQLite) or an SQLAlchemy URL")
    p.add_argument("--out", required=True, type=Path, help="checkpoint folder to write, e.g. checkpoints/nbg")
    p.add_argument("--config", type=Path, default=None,
                   help="YAML training settings (e.g. configs/train.yaml); default: built-in defaults")
    p.add_argument("--exclude-task", action="append", default=[], metavar="TASK",
                   help="task id that must not reach training (repeatable; leave-one-task-out)")
    p.add_argument("--space", default=None,
                   help="search space id whose history is used (default: the only space of the database's runs)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_run)


def _infer_space(db: ExperimentDatabase) -> str:
    spaces = sorted({r.space_id for r in db.runs()})
    if len(spaces) != 1:
        raise ConfigError(
            f"the database holds runs of {len(spaces)} search spaces {spaces}; choose one with --space"
        )
    return spaces[0]


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this training (recorded in the model card)."""
    parts = ["metanas", "train", "--db", _hide_password(args.db), "--out", str(args.out)]
    if args.config is not None:
        parts += ["--config", str(args.config)]
    for t in args.exclude_task:
        parts += ["--exclude-task", t]
    if args.space is not None:
        parts += ["--space", args.space]
    parts += ["--seed", str(args.seed)]
    return " ".join(shlex.quote(p) for p in parts)


def _hide_password(target: str) -> str:
    from metanas.db import safe_url

    return safe_url(target)


def _check_excluded(db: ExperimentDatabase, excluded: list[str]) -> None:
    """Refuse an ``--exclude-task`` the database does not hold: a typo would let the held-out task
    reach training."""
    known = [t.task_id for t in db.get_all_tasks()]
    unknown = [t for t in excluded if t not in known]
    if unknown:
        raise ConfigError(
            f"--exclude-task {', '.join(map(repr, unknown))}: not a task of the database, so nothing would be "
            f"excluded; known tasks: {known}; pass the full task id, e.g. --exclude-task {known[0] if known else 'ID'}"
        )


def _run(args: argparse.Namespace) -> int:
    from metanas.cli._db import open_existing
    from metanas.resources import check_output_folder

    if args.seed < 0:
        raise ConfigError(f"--seed must be an integer >= 0 (the training seed), got {args.seed}")
    check_output_folder(args.out, "--out")
    config = None
    if args.config is not None:
        from metanas.training.config import load_config

        config = load_config(args.config)
    from metanas.training import fit

    command = _command(args)
    t0 = time.perf_counter()
    with open_existing(args.db) as db:
        _check_excluded(db, args.exclude_task)
        space = args.space or _infer_space(db)
        out = fit(db, space_id=space, exclude_tasks=args.exclude_task, config=config, out_dir=args.out,
                  seed=args.seed, progress=not args.no_progress, command=command)
    from metanas.models.checkpoint import read_card

    card = read_card(out)
    val = card["validation"]
    print(f"checkpoint written to {out} in {time.perf_counter() - t0:.1f} s "
          f"({card['training']['epochs']} epochs, best {card['training']['best_epoch']})")
    print(f"space {card['space_id']}, tasks: {', '.join(t['task_id'] for t in card['tasks'])}")
    if val.get("mean_kendall_tau") is not None:
        print("validation Kendall tau (held-out architectures): "
              + ", ".join(f"{k} {v:.3f}" for k, v in val["kendall_tau"].items())
              + f"; mean {val['mean_kendall_tau']:.3f}")
    return 0
