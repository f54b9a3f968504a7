"""`cosine` and `cosine_matrix` are scale-free at the ends of the float range (issue 22: NaN for
vectors near 1e200)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metanas.similarity._cosine import cosine, cosine_matrix


@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300, 1e-300])
def test_cosine_of_huge_and_tiny_vectors_equals_the_unit_scale_value(scale):
    rng = np.random.default_rng(0)
    for _ in range(20):
        u, v = rng.random(5), rng.random(5)
        ref = cosine(u, v)
        got = cosine(u * scale, v * scale)
        assert not math.isnan(got) and got == pytest.approx(ref, rel=1e-12)
        assert cosine(u * scale, v) == pytest.approx(ref, rel=1e-12)


def test_cosine_matrix_of_huge_and_tiny_rows():
    rng = np.random.default_rng(1)
    a, b = rng.random((3, 4)), rng.random((2, 4))
    ref = cosine_matrix(a, b)
    for scale in (1e200, 1e-200):
        got = cosine_matrix(a * scale, b * scale)
        assert np.all(np.isfinite(got)) and np.allclose(got, ref, rtol=1e-12)
    zero = np.zeros((1, 4))
    assert cosine_matrix(zero, zero)[0, 0] == 1.0 and cosine_matrix(zero, b * 1e200).tolist() == [[0.0, 0.0]]
