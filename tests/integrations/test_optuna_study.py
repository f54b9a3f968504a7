"""Optuna studies in one process: suggest, warm start, recording, import, the metanas sampler."""

from __future__ import annotations

import dataclasses

import optuna
import pytest
from optuna.trial import TrialState

from metanas.exceptions import ConfigError
from metanas.integrations import codec_for, to_params
from metanas.integrations.optuna import (
    BenchmarkObjective,
    MetanasCallback,
    MetanasSampler,
    import_study,
    record_study,
    suggest_architecture,
    warm_start_study,
)
from metanas.search import BenchmarkEvaluator, get_strategy, run_search

from .conftest import HELD_OUT, PAST

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(tmp_path, name="s", sampler=None, direction="maximize"):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    return optuna.create_study(storage=storage, study_name=name, direction=direction, load_if_exists=True,
                               sampler=sampler or optuna.samplers.TPESampler(seed=0))


def test_suggest_architecture_and_benchmark_objective(cora):
    objective = BenchmarkObjective(cora)
    study = optuna.create_study(direction=cora.direction, sampler=optuna.samplers.TPESampler(seed=1))
    study.optimize(objective, n_trials=15)
    codec = codec_for(cora.space)
    evaluator = BenchmarkEvaluator(cora)
    for trial in study.trials:
        graph = codec.from_params(trial.params)
        assert trial.value == evaluator.evaluate(graph).objective
        assert trial.user_attrs["metanas_metrics"]["test_acc"] == evaluator.evaluate(graph).metrics["test_acc"]


def test_warm_start_is_enqueued_once_and_runs_first(tmp_path, history_db, cora):
    study = _study(tmp_path)
    first = warm_start_study(study, history_db, HELD_OUT, cora.space, population_size=10)
    other_worker = optuna.load_study(study_name="s", storage=study._storage)
    again = warm_start_study(other_worker, history_db, HELD_OUT, cora.space, population_size=10)
    assert first == again and len(first) == 10
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert len(waiting) == 10
    sources = [t.user_attrs["metanas_source"] for t in waiting]
    assert [s["index"] for s in sources] == list(range(10))
    transferred = [s for s in sources if s["source"] == "transfer"]
    assert transferred and all(s["from_task"] in PAST and s["score"] is not None for s in transferred)
    study.optimize(BenchmarkObjective(cora), n_trials=14)
    assert [t.number for t in study.trials[:10]] == first
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert warm_start_study(study, history_db, HELD_OUT, cora.space, population_size=10) == first
    assert len(study.trials) == 14


def test_callback_records_each_trial_once_and_failures_as_no_score(tmp_path, history_db, cora):
    table_objective = BenchmarkObjective(cora)

    def objective(trial):
        if trial.number == 3:
            raise optuna.TrialPruned("pruned on purpose")
        if trial.number == 5:
            suggest_architecture(trial, cora.space)
            raise RuntimeError("failed on purpose")
        return table_objective(trial)

    study = _study(tmp_path)
    callback = MetanasCallback(history_db, HELD_OUT, cora.space)
    study.optimize(objective, n_trials=12, callbacks=[callback], catch=(RuntimeError,))
    run_id = callback.run_id(study)
    for trial in study.trials:  # a duplicate callback call records nothing twice
        callback(study, trial)
    traj = history_db.trajectory(run_id)
    assert [e.step for e in traj] == [t.number for t in study.trials if t.number != 3]  # 3: pruned before suggest
    by_step = {e.step: e for e in traj}
    assert by_step[5].metrics == {"trial_failed": 1.0} and "val_acc" not in by_step[5].metrics
    assert all(by_step[t.number].metrics["val_acc"] == t.value for t in study.trials if t.number not in (3, 5))
    assert all(e.cost is not None and e.cost >= 0 for e in traj)
    top = history_db.top_evaluations(HELD_OUT, 1)[0]
    assert top.value == study.best_value and top.run_id == run_id
    assert record_study(study, history_db, HELD_OUT, finish=True) == 0
    assert history_db.runs(HELD_OUT)[-1].status == "finished"


def test_record_study_catches_trials_without_callback(tmp_path, history_db, cora):
    study = _study(tmp_path)
    study.optimize(BenchmarkObjective(cora), n_trials=6)
    assert record_study(study, history_db, HELD_OUT, cora.space) == 6
    assert record_study(study, history_db, HELD_OUT) == 0  # the study remembers its space and run
    run = [r for r in history_db.runs(HELD_OUT) if r.config.get("optuna_study") == "s"]
    assert len(run) == 1 and run[0].num_evaluations == 6


def test_a_study_of_another_space_or_direction_is_refused(tmp_path, history_db, cora, nb201_free_objective):
    study = _study(tmp_path, "nb201-study")
    study.optimize(nb201_free_objective, n_trials=3)
    with pytest.raises(ConfigError, match="do not match search space 'nbg'"):
        warm_start_study(study, history_db, HELD_OUT, cora.space, population_size=5)
    with pytest.raises(ConfigError, match="do not match search space 'nbg'"):
        record_study(study, history_db, HELD_OUT, cora.space)
    minimising = _study(tmp_path, "min", direction="minimize")
    with pytest.raises(ConfigError, match="direction='maximize'"):
        record_study(minimising, history_db, HELD_OUT, cora.space)
    bound = _study(tmp_path, "bound")
    warm_start_study(bound, history_db, HELD_OUT, cora.space, population_size=3)
    with pytest.raises(ConfigError, match="searches space 'nbg', not 'nb201'"):
        warm_start_study(bound, history_db, HELD_OUT, "nb201", population_size=3)


@pytest.fixture
def nb201_free_objective():
    def objective(trial):
        graph = suggest_architecture(trial, "nb201")
        return float(sum(op == "nor_conv_3x3" for op in graph.ops))

    return objective


def test_import_study_feeds_the_warm_start_of_a_new_task(tmp_path, nbg_suite, cora):
    from metanas.db import ExperimentDatabase

    past = nbg_suite.table("nbg/citeseer")
    storage = f"sqlite:///{tmp_path / 'past.db'}"
    old = optuna.create_study(storage=storage, study_name="citeseer", direction="maximize",
                              sampler=optuna.samplers.TPESampler(seed=0))
    old.optimize(BenchmarkObjective(past), n_trials=40)
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        run_id = import_study(storage, "citeseer", db, past.task, "nbg")
        assert import_study(storage, "citeseer", db, past.task, "nbg") == run_id  # once
        assert db.runs("nbg/citeseer")[0].status == "finished"
        assert len(db.trajectory(run_id)) == 40
        assert db.top_evaluations("nbg/citeseer", 1)[0].value == old.best_value
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
        study = _study(tmp_path, "cora")
        warm_start_study(study, db, HELD_OUT, cora.space, population_size=8, config={"min_similarity": 0.0})
        sources = [t.user_attrs["metanas_source"] for t in study.trials]
        transferred = [s for s in sources if s["source"] == "transfer"]
        assert transferred and {s["from_task"] for s in transferred} == {"nbg/citeseer"}
        best_params = to_params(db.get_top_architectures("nbg/citeseer", 1)[0], "nbg")
        assert any(t.system_attrs["fixed_params"] == best_params for t in study.trials)


def test_import_study_refuses_a_mismatched_study_and_writes_nothing(tmp_path, cora, nb201_free_objective):
    from metanas.db import ExperimentDatabase

    storage = f"sqlite:///{tmp_path / 'past.db'}"
    optuna.create_study(storage=storage, study_name="x", direction="maximize").optimize(nb201_free_objective, 3)
    task = dataclasses.replace(cora.task, task_id="nbg/x")
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        with pytest.raises(ConfigError, match="trial 0 .*do not match search space 'nbg'"):
            import_study(storage, "x", db, task, "nbg")
        assert db.runs() == []


@pytest.mark.parametrize("strategy", ["regularized_evolution", "random"])
def test_metanas_sampler_reproduces_the_metanas_search(cora, strategy):
    settings = {"population_size": 10, "tournament_size": 3} if strategy == "regularized_evolution" else {}
    study = optuna.create_study(direction=cora.direction, sampler=MetanasSampler(cora.space, strategy, seed=4,
                                                                                 **settings))
    study.optimize(BenchmarkObjective(cora), n_trials=40)
    reference = run_search(get_strategy(strategy, space=cora.space, seed=4, **settings), BenchmarkEvaluator(cora), 40)
    codec = codec_for(cora.space)
    assert [codec.from_params(t.params) for t in study.trials] == reference.graphs
    assert study.best_value == reference.best().objective


def test_metanas_sampler_minimises_and_leaves_other_parameters_to_a_random_sampler(cora):
    evaluator = BenchmarkEvaluator(cora)

    def objective(trial):
        graph = suggest_architecture(trial, cora.space)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        assert 1e-4 <= lr <= 1e-1
        return -evaluator.evaluate(graph).objective

    study = optuna.create_study(direction="minimize", sampler=MetanasSampler(cora.space, seed=0,
                                                                             population_size=5, tournament_size=2))
    study.optimize(objective, n_trials=25)
    graphs = [codec_for(cora.space).from_params({k: v for k, v in t.params.items() if k != "lr"})
              for t in study.trials]
    assert len({cora.space.key(g) for g in graphs}) == 25  # never an architecture twice


def test_warm_started_sampler_asks_the_warm_start_first(history_db, cora):
    import numpy as np

    from metanas.warm_start import WarmStarter

    sampler = MetanasSampler.warm_started(history_db, HELD_OUT, cora.space, population_size=8, seed=2)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(BenchmarkObjective(cora), n_trials=12)
    expected = WarmStarter(history_db).generate_initial_population(
        history_db.get_task(HELD_OUT), 8, cora.space, rng=np.random.default_rng(2))
    assert [codec_for(cora.space).from_params(t.params) for t in study.trials[:8]] == expected


def test_transfer_sampler_reproduces_the_transfer_search_with_the_database_history(history_db, cora):
    from metanas.search import history_from_db

    settings = {"population_size": 10, "tournament_size": 3, "batch_size": 5}
    sampler = MetanasSampler.warm_started(history_db, HELD_OUT, cora.space, strategy="transfer-bo", seed=3,
                                          **settings)
    assert sampler.strategy.config["past_tasks"] == list(PAST)  # the held-out task is not its own history
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(BenchmarkObjective(cora), n_trials=30)
    history = history_from_db(history_db, cora.space, exclude=[HELD_OUT])
    strategy = get_strategy("transfer-bo", space=cora.space, seed=3, history=history, **settings)
    reference = run_search(strategy, BenchmarkEvaluator(cora), 30)
    assert [codec_for(cora.space).from_params(t.params) for t in study.trials] == reference.graphs
    assert reference.graphs[:len(strategy.design)] == list(strategy.design)  # its designed first population
    with pytest.raises(ConfigError, match="give 'db' and 'task_id' together"):
        MetanasSampler(cora.space, "transfer-bo", db=history_db)


def test_the_sampler_runs_the_bayesian_surrogate_with_the_task_for_its_prior(history_db, cora):
    from metanas.search import history_from_db

    settings = {"population_size": 10, "tournament_size": 3, "surrogate": "learned"}
    sampler = MetanasSampler.warm_started(history_db, HELD_OUT, cora.space, strategy="transfer-bo", seed=3,
                                          **settings)
    task = history_db.get_task(HELD_OUT)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(BenchmarkObjective(cora), n_trials=20)
    history = history_from_db(history_db, cora.space, exclude=[HELD_OUT])
    strategy = get_strategy("transfer-bo", space=cora.space, seed=3, history=history, task=task, **settings)
    reference = run_search(strategy, BenchmarkEvaluator(cora), 20)
    assert [codec_for(cora.space).from_params(t.params) for t in study.trials] == reference.graphs
    assert sampler.strategy.info["surrogate"] == "learned"


def test_multi_objective_studies_are_refused(tmp_path, history_db, cora):
    study = optuna.create_study(directions=["maximize", "minimize"])
    with pytest.raises(ConfigError, match="2 objectives"):
        record_study(study, history_db, HELD_OUT, cora.space)


def test_workers_give_a_transfer_strategy_the_database_history(history_db, cora):
    from metanas.integrations.optuna._workers import WorkerSpec, _sampler

    spec = WorkerSpec(storage="sqlite:///unused.db", study_name="s", db_url=history_db.url, task=HELD_OUT,
                      space="nbg", n_trials=10, suite="nasbench-graph", sampler="metanas",
                      strategy_config={"strategy": "transfer-bo", "population_size": 10})
    sampler = _sampler(spec, history_db, 1)
    assert sampler.strategy.name == "transfer-bo" and sampler.strategy.config["past_tasks"] == list(PAST)
    assert len(sampler.strategy.design) == 5  # half of its first population designed from the history
