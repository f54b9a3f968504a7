"""WarmStarter closes what it opens (issue #21, seams): a database it opened from a path or URL
is closed by `close` or at the end of a ``with`` block; a database it was given stays open."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError, DatabaseError
from metanas.spaces import get_space
from metanas.tasks import TaskMetadata
from metanas.warm_start import WarmStarter


def _task(task_id: str) -> TaskMetadata:
    return TaskMetadata(task_id=task_id, dataset_name=task_id, num_samples=50000, num_classes=10,
                        input_size=(3, 32, 32), problem_type="classification")


@pytest.fixture
def db_path(tmp_path):
    """A database file holding one past task (closed again: the tests open it as they need)."""
    path = tmp_path / "kb.db"
    with ExperimentDatabase(path) as db:
        db.add_task(_task("past"))
    return path


def _population(ws: WarmStarter) -> list:
    return ws.generate_initial_population(_task("new"), 5, get_space("nb201"), rng=np.random.default_rng(0))


@pytest.mark.parametrize("as_str", [False, True])
def test_a_database_opened_from_a_path_is_closed_at_the_end_of_with(db_path, as_str):
    with WarmStarter(str(db_path) if as_str else db_path, {"seed": 0}) as ws:
        assert [t.task_id for t in ws.kb.get_all_tasks()] == ["past"]
        assert len(_population(ws)) == 5
    with pytest.raises(DatabaseError, match="is closed"):
        ws.kb.get_all_tasks()


def test_close_closes_an_opened_database_once(db_path):
    ws = WarmStarter(db_path)
    assert len(_population(ws)) == 5
    ws.close()
    with pytest.raises(DatabaseError, match="is closed"):
        ws.kb.get_all_tasks()
    ws.close()  # closing twice does nothing


def test_a_database_given_as_an_object_is_never_closed(db_path):
    with ExperimentDatabase(db_path, create=False) as db:
        with WarmStarter(db) as ws:
            assert len(_population(ws)) == 5
        assert [t.task_id for t in db.get_all_tasks()] == ["past"]  # still open after the with block
        WarmStarter(db).close()
        assert [t.task_id for t in db.get_all_tasks()] == ["past"]


def test_the_with_block_closes_the_database_when_it_raises(db_path):
    with pytest.raises(ConfigError, match="population_size"), WarmStarter(db_path) as ws:
        ws.generate_initial_population(_task("new"), 0, get_space("nb201"))
    with pytest.raises(DatabaseError, match="is closed"):
        ws.kb.get_all_tasks()


def test_a_bad_config_is_refused_before_the_database_is_opened(tmp_path):
    """The config is checked first, so a refused config leaves no database open (nor needs one)."""
    with pytest.raises(ConfigError, match="transfer_ratio"):
        WarmStarter(tmp_path / "missing.db", {"transfer_ratio": 3})
