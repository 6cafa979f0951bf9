"""Shared fixtures: the repository root and the python running the tests."""

import importlib.util
import os.path as osp
import sys
from types import ModuleType

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_script(path: str) -> ModuleType:
    """A script of the repository imported as a module (``tools/``, ``.dev_scripts/`` and
    projects' tools are not packages), to call its functions or ``main(argv)`` in-process.

    Args:
        path: The script, relative to the repository root or absolute.
    """
    path = osp.join(REPO_ROOT, path)
    name = '_script_' + osp.splitext(osp.relpath(path, REPO_ROOT))[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name.replace('.', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def python() -> str:
    """The interpreter of the test run (the venv's), for launching the tools."""
    return sys.executable


@pytest.fixture
def mmpcd_scope():
    """Run a test in mmpcd's default scope, as a config's ``default_scope='mmpcd'`` does for
    a run: mmpretrain's base classes build their sub-modules (mmpcd's necks, heads, data
    preprocessors) through mmpretrain's registry, which finds mmpcd's children only there."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmpcd'):
        yield


@pytest.fixture
def one_thread():
    """Run a test with one torch thread: tiny models are faster so, and immune to other jobs
    on the cores (two OpenMP threads on a loaded 2-core machine made a step 50x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def no_network(monkeypatch):
    """Every connection attempt (DNS included) fails as on an offline node, and is recorded:
    ``no_network`` is the list of the addresses tried."""
    import socket

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1] if len(args) > 1 else args[0] if args else kwargs)
        raise OSError('network disabled by the no_network test fixture')

    monkeypatch.setattr(socket.socket, 'connect', lambda self, address: refuse(self, address))
    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket, 'getaddrinfo', refuse)
    return attempts


def fresh_shell_env(repo_root: str, **extra: str) -> dict:
    """The environment of a fresh shell after ``make setup``: no activated venv, no
    ``PYTHONPATH``, no ``PYTHON``; only system directories on ``PATH`` (the launchers must
    find the repository's ``.venv`` themselves). Skips the test without a ``.venv``."""
    if not osp.isfile(osp.join(repo_root, '.venv', 'bin', 'python')):
        pytest.skip('no .venv in the repository (make setup creates it)')
    import os

    keep = {k: os.environ[k] for k in ('HOME', 'LANG', 'TMPDIR') if k in os.environ}
    return dict(keep, PATH='/usr/local/bin:/usr/bin:/bin', **extra)
