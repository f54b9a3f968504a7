"""Calibration of the learned task similarity to dataset_meta, and its leave-one-task-out weight."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError
from metanas.similarity import TaskEmbeddingSimilarity
from metanas.similarity._calibration import calibrate_to_prior, choose_weight


def test_calibration_keeps_the_prior_values_and_takes_the_learned_order():
    learned = np.array([0.1, 0.9, 0.5, 0.3])
    prior = np.array([0.95, 0.7, 0.0, 0.8])  # task 2 is of another modality: stays 0
    out = calibrate_to_prior(learned, prior, weight=1.0)
    assert sorted(out) == sorted(prior)
    assert out[2] == 0.0
    assert out[1] == 0.95 and out[3] == 0.8 and out[0] == 0.7  # learned order among comparable tasks
    np.testing.assert_array_equal(calibrate_to_prior(learned, prior, weight=0.0), prior)


def test_calibration_with_no_comparable_task_is_all_zero():
    np.testing.assert_array_equal(calibrate_to_prior(np.array([0.5, 0.2]), np.zeros(2), 0.5), np.zeros(2))


def _rel(matrix):
    return lambda p, q: matrix[p][q]


def test_weight_goes_to_the_ranking_that_matches_the_reference():
    rng = np.random.default_rng(0)
    ids = [f"t{i}" for i in range(6)]
    truth = {p: {q: float(rng.random()) for q in ids} for p in ids}
    for p in ids:  # symmetric reference
        for q in ids:
            truth[q][p] = truth[p][q]
    noise = {p: {q: float(rng.random()) for q in ids} for p in ids}
    # the model's start-of-search similarity agrees with the reference, the prior is noise
    w, means = choose_weight(ids, _rel(truth), _rel(truth), _rel(noise))
    assert w == 1.0 and means[1.0] == pytest.approx(1.0)
    # the prior agrees, the model's start similarity is noise: the prior's order
    w, means = choose_weight(ids, _rel(noise), _rel(truth), _rel(truth))
    assert w == 0.0 and means[0.0] == pytest.approx(1.0)


def test_fewer_than_three_training_tasks_keep_the_prior_order():
    assert choose_weight(["a", "b"], _rel({}), _rel({}), _rel({})) == (0.0, {})


def test_weight_is_validated():
    class E:
        def check(self, task, space_id):
            pass

        def embed_task(self, task):
            return np.ones(2)

    for bad in (-0.1, 1.5, "high", True):
        with pytest.raises(ConfigError, match="'weight'"):
            TaskEmbeddingSimilarity(E(), weight=bad)
    assert TaskEmbeddingSimilarity(E(), weight=0.5).weight == 0.5
