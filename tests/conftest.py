"""Shared fixtures for the helpers tests."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread. The tests' matrices are small: on a busy 2-core machine
# OpenBLAS's extra threads spin waiting for a core and cost more CPU than they
# save (the brute-force integrations of test_exact.py: 2.0 s of CPU instead of
# 0.4 s). Set here because pytest's plugins import NumPy before this file, too
# late for OPENBLAS_NUM_THREADS.
threadpool_limits(limits=1, user_api="blas")


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
