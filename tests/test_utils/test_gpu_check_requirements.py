"""requirements/gpu_check.txt pins what this environment runs, so the carried wheels match."""

import os.path as osp
from importlib.metadata import version

from tests.conftest import REPO_ROOT


def test_carried_wheels_are_the_installed_versions():
    with open(osp.join(REPO_ROOT, 'requirements', 'gpu_check.txt')) as f:
        pins = [line.split('#')[0].strip() for line in f]
    pins = [pin.split('==') for pin in pins if pin]
    assert {'mmengine', 'mmpretrain', 'setuptools'} <= {name for name, _ in pins}
    for name, pinned in pins:
        assert version(name) == pinned, f'{name}: installed {version(name)}, pinned {pinned}'
