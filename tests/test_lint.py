"""The lint set of ``.pre-commit-config.yaml`` (ruff: pyflakes, pycodestyle, isort order and
the formatter, at 100 columns) holds for the whole repository."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT


def _ruff() -> list:
    """The ruff of this venv (``requirements/tests.txt``), else one on PATH."""
    try:
        import ruff  # noqa: F401
    except ImportError:
        if shutil.which('ruff') is None:
            pytest.fail('ruff is not installed: run make setup (requirements/tests.txt pins it)')
        return ['ruff']
    return [sys.executable, '-m', 'ruff']


@pytest.mark.parametrize(
    'command', [['check', '.'], ['format', '--check', '.']], ids=['check', 'format']
)
def test_ruff(command):
    result = subprocess.run([*_ruff(), *command], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        f'ruff {" ".join(command)} found problems; `ruff check --fix . && ruff format .` '
        f'fixes most of them:\n{result.stdout[-4000:]}{result.stderr[-2000:]}'
    )
