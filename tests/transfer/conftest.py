"""Shared fixtures of the transfer tests: NAS-Bench-201's space and its candidate pool."""

from __future__ import annotations

import pytest

from metanas.spaces import NB201Space
from metanas.transfer import CandidatePool


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def pool(space):
    return CandidatePool.for_space(space)
