"""Shared fixtures.

* ``nb201_dir``: the real NAS-Bench-201 tables (``METANAS_NB201_DIR`` or ``../shared/...``).
  When absent the test is skipped outside CI and fails in CI (``CI`` set).
* ``pg_url``: the PostgreSQL server from ``METANAS_TEST_PG_URL``; same rule.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from metanas.benchmarks import default_nb201_dir

IN_CI = bool(os.environ.get("CI"))


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def nb201_dir() -> Path:
    d = default_nb201_dir()
    if not (d / "nb201_accuracies.csv").is_file():
        _missing(f"NAS-Bench-201 tables not found in {d}")
    return d


@pytest.fixture(scope="session")
def nb201_suite(nb201_dir):
    from metanas.benchmarks import NB201Suite

    return NB201Suite(nb201_dir)


@pytest.fixture(scope="session")
def nbg_suite():
    from metanas.benchmarks import NasBenchGraphSuite

    return NasBenchGraphSuite()


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("METANAS_TEST_PG_URL")
    if not url:
        _missing("METANAS_TEST_PG_URL is not set")
    return url
