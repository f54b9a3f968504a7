"""The public library entry ``metanas.run_real_search`` (issue 22): search a task with the user's own
evaluator into an experiment database, resumably, warm-starting the next task from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

import metanas
from metanas import ExperimentDatabase, SearchSettings, TaskMetadata, run_real_search
from metanas.exceptions import ConfigError
from metanas.search import EvaluationResult, Evaluator


class OpCount(Evaluator):
    """A user's objective: the share of 3x3 convolutions in the cell (to maximise), named ``score``."""

    objective = "score"
    direction = "maximize"

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list = []
        self.stop_at = stop_at

    def evaluate(self, graph):
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt  # the process dies mid-search
        self.calls.append(graph)
        value = sum(op == "nor_conv_3x3" for op in graph.ops) / 6 + int(graph.identity[:4], 16) / 16**6
        return EvaluationResult(value, {"score": value}, 0.0)


def _task(task_id: str, pixel_mean: float) -> TaskMetadata:
    return TaskMetadata(task_id, "my data", 569, 2, (1, 1, 30), "classification", {"pixel_mean": pixel_mean})


SETTINGS = SearchSettings(budget=8, population=4, strategy_options={"population_size": 4, "tournament_size": 2})


def test_a_search_with_an_own_evaluator_resumes_after_a_crash_and_warm_starts_the_next_task(tmp_path):
    path = tmp_path / "history.db"
    crashing = OpCount(stop_at=5)
    with pytest.raises(KeyboardInterrupt):
        run_real_search(str(path), "nb201", task=_task("mine/a", 0.40), evaluator=crashing, settings=SETTINGS)
    resumed = OpCount()
    found = run_real_search(path, "nb201", task=_task("mine/a", 0.40), evaluator=resumed, settings=SETTINGS,
                            resume=True)
    assert (found.replayed, found.trained) == (5, 3) and len(resumed.calls) == 3
    assert len({g.identity for g in crashing.calls + resumed.calls}) == 8  # nothing evaluated twice
    with ExperimentDatabase(path, create=False) as db:
        assert db.task_objective("mine/a") == ("score", "maximize")
        assert [e.step for r in db.runs("mine/a") for e in db.trajectory(r.run_id)] == list(range(8))
        best = db.top_evaluations("mine/a", 1)[0]
    assert best.value == pytest.approx(found.result.best().objective)

    second = run_real_search(path, "nb201", task=_task("mine/b", 0.41), evaluator=OpCount(), settings=SETTINGS)
    assert [t for t, _ in second.similar_tasks] == ["mine/a"]
    assert any(o == "transfer:mine/a" for o in second.origins)


def test_bad_arguments_name_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="'task' must be a TaskMetadata"):
        run_real_search(tmp_path / "h.db", "nb201", evaluator=OpCount())
    with pytest.raises(ConfigError, match="pass 'data' .* or an 'evaluator'"):
        run_real_search(tmp_path / "h.db", "nb201", task=_task("mine/a", 0.4))
    with pytest.raises(ConfigError, match="'settings' must be a SearchSettings"):
        run_real_search(tmp_path / "h.db", "nb201", task=_task("mine/a", 0.4), evaluator=OpCount(),
                        settings={"budget": 3})
    assert not (tmp_path / "h.db").exists()


def test_the_public_names_are_the_pipeline_s_and_importing_metanas_stays_light():
    from metanas import pipeline

    assert metanas.run_real_search is pipeline.run_real_search and metanas.SearchSettings is pipeline.SearchSettings
    assert "resumably" in metanas.run_real_search.__doc__
    code = "import sys, metanas; metanas.SearchSettings; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_the_transfer_search_with_the_learned_surrogate_trains_on_the_past_tasks(tmp_path, monkeypatch):
    from metanas import training

    trained: list = []
    original = training.learned_embedding

    def small(db, space, past_task_ids, **kwargs):
        trained.append(list(past_task_ids))
        return original(db, space, past_task_ids, **kwargs | {"config": {"max_epochs": 2, "steps_per_epoch": 2,
                                                                         "min_evaluations": 5},
                                                              "cache_dir": tmp_path / "cache"})

    monkeypatch.setattr(training, "learned_embedding", small)
    path = tmp_path / "h.db"
    plain = SearchSettings(budget=12, population=4, strategy_options={"population_size": 4, "tournament_size": 2})
    run_real_search(path, "nb201", task=_task("mine/a", 0.40), evaluator=OpCount(), settings=plain)
    learned = SearchSettings(budget=12, population=6, strategy="transfer-bo",
                             strategy_options={"surrogate": "learned", "embedding": "learned"})
    found = run_real_search(path, "nb201", task=_task("mine/b", 0.41), evaluator=OpCount(), settings=learned)
    assert trained == [["mine/a"]]  # the other task only, never the one searched
    assert found.trained == 12 and found.origins.count("design:prior") >= 1  # the prior predictive designed it
    with pytest.raises(ConfigError, match="'embedding: learned' trains on the past tasks"):
        run_real_search(path, "nb201", task=_task("mine/c", 0.42), evaluator=OpCount(), settings=learned,
                        warm_start=False)


def test_a_transfer_search_reports_the_population_it_really_started_from(tmp_path):
    path = tmp_path / "h.db"
    plain = SearchSettings(budget=12, population=4, strategy_options={"population_size": 4, "tournament_size": 2})
    run_real_search(path, "nb201", task=_task("mine/a", 0.40), evaluator=OpCount(), settings=plain)
    run_real_search(path, "nb201", task=_task("mine/b", 0.40), evaluator=OpCount(), settings=plain)
    settings = SearchSettings(budget=20, population=10, strategy="transfer-bo", strategy_options={"batch_size": 5})
    found = run_real_search(path, "nb201", task=_task("mine/c", 0.41), evaluator=OpCount(), settings=settings)
    # before: 5 members (the designed half), the 5 random ones labelled 'search', and no past task
    assert len(found.initial) == 10 and found.initial == [e.graph for e in found.result.evaluations[:10]]
    assert found.origins.count("random") == 10 - sum(o.startswith("design:") for o in found.origins) > 0
    assert all(found.origin_of(g) != "search" for g in found.initial)
    assert [t for t, _ in found.similar_tasks] == ["mine/a", "mine/b"]
