"""``make test PYTEST_ARGS=...`` runs what PYTEST_ARGS names (a dry run: nothing executes)."""

import shutil
import subprocess

import pytest


@pytest.mark.parametrize(
    'args,expected',
    [
        ('tests/test_ops -x', '-m pytest tests/test_ops -x'),
        ('-x -k name', '-m pytest -x -k name'),  # pytest.ini's testpaths: tests/
    ],
)
def test_make_test_passes_only_pytest_args(repo_root, args, expected):
    if shutil.which('make') is None:
        pytest.skip('no make')
    result = subprocess.run(
        ['make', '-n', 'test', f'PYTEST_ARGS={args}'],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pytest_line = [line for line in result.stdout.splitlines() if '-m pytest' in line]
    assert len(pytest_line) == 1 and pytest_line[0].endswith(expected)


def test_without_paths_pytest_collects_tests(repo_root):
    import configparser

    ini = configparser.ConfigParser()
    ini.read(f'{repo_root}/pytest.ini')
    assert ini['pytest']['testpaths'].split() == ['tests']
