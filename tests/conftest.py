"""Shared fixtures: the repository root and the python running the tests."""
import os.path as osp
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def python() -> str:
    """The interpreter of the test run (the venv's), for launching the tools."""
    return sys.executable
