"""Shared fixtures: the repository root and the python running the tests."""
import os.path as osp
import sys

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def python() -> str:
    """The interpreter of the test run (the venv's), for launching the tools."""
    return sys.executable


@pytest.fixture
def one_thread():
    """Run a test with one torch thread: tiny models are faster so, and immune to other jobs
    on the cores (two OpenMP threads on a loaded 2-core machine made a step 50x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
