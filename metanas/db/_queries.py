"""Read queries of the experiment database: rankings, trajectories, runs and counts.

Each function takes a `Session` inside a read transaction (`Sessions.read`) and returns
domain records (`metanas.db._records`), never ORM rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from metanas.db import _codec
from metanas.db._records import Evaluation, RunInfo, TopEvaluation
from metanas.db._rows import GraphCache, run_row, task_row
from metanas.db._schema import VERSION_TABLE, ArchitectureRow, EvaluationRow, MetricRow, RunRow, TaskRow
from metanas.exceptions import UnknownNameError
from metanas.graph import ModelGraph
from metanas.validation import Direction

__all__ = ["runs", "summary", "task_evaluations", "top_evaluations", "trajectory"]


def _best_per_architecture(s: Session, task: TaskRow, sign: float, top_k: int) -> dict[int, tuple[float, int]]:
    """Architecture id -> (signed best value, earliest evaluation id reaching it), for at least
    the ``top_k`` best architectures: walks the ranking index in growing windows until every
    row past the window is worse than the k-th architecture found."""
    order = MetricRow.value.desc() if sign > 0 else MetricRow.value.asc()
    base = (
        select(MetricRow.architecture_id, MetricRow.value, MetricRow.evaluation_id)
        .where(MetricRow.task_pk == task.id, MetricRow.name == task.objective)
        .order_by(order)
    )
    limit = 4 * top_k + 16
    while True:
        rows = s.execute(base.limit(limit)).all()
        best: dict[int, tuple[float, int]] = {}
        for arch, value, eid in rows:
            score = sign * value
            cur = best.get(arch)
            if cur is None or score > cur[0] or (score == cur[0] and eid < cur[1]):
                best[arch] = (score, eid)
        if len(rows) < limit:
            return best  # every row of the task seen
        if len(best) >= top_k:
            kth = sorted((b[0] for b in best.values()), reverse=True)[top_k - 1]
            if sign * rows[-1].value < kth:
                return best  # rows past here are worse than the k-th architecture
        limit *= 4


def top_evaluations(s: Session, cache: GraphCache, task_id: str, top_k: int) -> list[TopEvaluation]:
    """The ``top_k`` best distinct architectures of a task (see `ExperimentDatabase.top_evaluations`)."""
    task = task_row(s, task_id)
    if top_k == 0:
        return []
    sign = Direction(task.direction).sign
    best = _best_per_architecture(s, task, sign, top_k)
    if not best:
        return []
    kth = sorted((b[0] for b in best.values()), reverse=True)[min(top_k, len(best)) - 1]
    candidates = [a for a, b in best.items() if b[0] >= kth]
    idents = dict(
        s.execute(select(ArchitectureRow.id, ArchitectureRow.identity).where(ArchitectureRow.id.in_(candidates))).all()
    )
    chosen = sorted(candidates, key=lambda a: (-best[a][0], idents[a]))[:top_k]
    graphs = cache.graphs(s, chosen)
    eval_ids = [best[a][1] for a in chosen]
    rows = {
        r.id: r
        for r in s.execute(
            select(EvaluationRow.id, EvaluationRow.run_id, EvaluationRow.cost, EvaluationRow.cost_unit).where(
                EvaluationRow.id.in_(eval_ids)
            )
        )
    }
    out = []
    for a in chosen:
        ev = rows[best[a][1]]
        out.append(TopEvaluation(graphs[a], sign * best[a][0], task.objective, ev.run_id, ev.id, ev.cost, ev.cost_unit))
    return out


def task_evaluations(
    s: Session, cache: GraphCache, task_id: str, metric: str | None
) -> list[tuple[ModelGraph, float]]:
    """Every distinct architecture of a task with its best ``metric`` (see the facade)."""
    task = task_row(s, task_id)
    name = task.objective if metric is None else metric
    maximize = task.direction == Direction.MAXIMIZE
    agg = (func.max if maximize else func.min)(MetricRow.value).label("best")
    sub = (
        select(MetricRow.architecture_id, agg)
        .where(MetricRow.task_pk == task.id, MetricRow.name == name)
        .group_by(MetricRow.architecture_id)
        .subquery()
    )
    stmt = (
        select(ArchitectureRow.id, sub.c.best)
        .join(sub, ArchitectureRow.id == sub.c.architecture_id)
        .order_by(sub.c.best.desc() if maximize else sub.c.best.asc(), ArchitectureRow.identity)
    )
    rows = s.execute(stmt).all()
    if not rows and metric is not None and metric != task.objective:
        names = sorted(s.scalars(select(MetricRow.name).where(MetricRow.task_pk == task.id).distinct()))
        if names:
            raise UnknownNameError(f"task {task_id!r} has no metric {metric!r}; its evaluations record {names}")
    graphs = cache.graphs(s, [a for a, _ in rows])
    return [(graphs[a], float(v)) for a, v in rows]


def trajectory(s: Session, cache: GraphCache, run_id: int) -> list[Evaluation]:
    """The run's evaluations, ordered by step."""
    run = run_row(s, run_id)
    evs = s.execute(
        select(
            EvaluationRow.id,
            EvaluationRow.step,
            EvaluationRow.architecture_id,
            EvaluationRow.cost,
            EvaluationRow.cost_unit,
            EvaluationRow.created_at,
        )
        .where(EvaluationRow.run_id == run.id)
        .order_by(EvaluationRow.step)
    ).all()
    metrics: dict[int, dict[str, float]] = {e.id: {} for e in evs}
    for eid, name, value in s.execute(
        select(MetricRow.evaluation_id, MetricRow.name, MetricRow.value)
        .join(EvaluationRow, EvaluationRow.id == MetricRow.evaluation_id)
        .where(EvaluationRow.run_id == run.id)
        .order_by(MetricRow.evaluation_id, MetricRow.name)
    ):
        metrics[eid][name] = value
    graphs = cache.graphs(s, [e.architecture_id for e in evs])
    return [
        Evaluation(
            run_id=run.id,
            step=e.step,
            graph=graphs[e.architecture_id],
            metrics=metrics[e.id],
            cost=e.cost,
            cost_unit=e.cost_unit,
            created_at=_codec.as_utc(e.created_at),
        )
        for e in evs
    ]


def runs(s: Session, task_id: str | None) -> list[RunInfo]:
    """Runs (of one task, or all), ordered by run id."""
    count = (
        select(func.count(EvaluationRow.id))
        .where(EvaluationRow.run_id == RunRow.id)
        .correlate(RunRow)
        .scalar_subquery()
    )
    stmt = select(RunRow, TaskRow.task_id, count).join(TaskRow, TaskRow.id == RunRow.task_pk)
    if task_id is not None:
        stmt = stmt.where(RunRow.task_pk == task_row(s, task_id).id)
    return [
        RunInfo(
            run_id=run.id,
            task_id=tid,
            strategy=run.strategy,
            space_id=run.space_id,
            config=_codec.decode_config(run.id, run.config),
            seed=run.seed,
            status=run.status,
            num_evaluations=int(n),
            started_at=_codec.as_utc(run.started_at),
            finished_at=_codec.as_utc(run.finished_at),
        )
        for run, tid, n in s.execute(stmt.order_by(RunRow.id))
    ]


def _per_task(s: Session) -> dict[str, dict[str, Any]]:
    per_run = dict(s.execute(select(RunRow.task_pk, func.count(RunRow.id)).group_by(RunRow.task_pk)).all())
    per_eval = {
        tpk: (int(n), int(a))
        for tpk, n, a in s.execute(
            select(
                EvaluationRow.task_pk,
                func.count(EvaluationRow.id),
                func.count(EvaluationRow.architecture_id.distinct()),
            ).group_by(EvaluationRow.task_pk)
        )
    }
    out = {}
    for row in s.execute(
        select(TaskRow.id, TaskRow.task_id, TaskRow.objective, TaskRow.direction).order_by(TaskRow.task_id)
    ):
        n_eval, n_arch = per_eval.get(row.id, (0, 0))
        out[row.task_id] = {
            "objective": row.objective,
            "direction": row.direction,
            "runs": int(per_run.get(row.id, 0)),
            "evaluations": n_eval,
            "architectures": n_arch,
        }
    return out


def summary(s: Session) -> dict[str, Any]:
    """Counts of the whole database and per task (see `ExperimentDatabase.summary`)."""

    def count(col: Any) -> int:
        return int(s.execute(select(func.count(col))).scalar() or 0)

    per_task = _per_task(s)
    return {
        "tasks": len(per_task),
        "runs": count(RunRow.id),
        "architectures": count(ArchitectureRow.id),
        "evaluations": count(EvaluationRow.id),
        "schema_revision": s.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar(),
        "per_task": per_task,
    }
