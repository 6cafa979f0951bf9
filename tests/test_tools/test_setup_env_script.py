"""tools/setup/setup_env.sh: fast when up to date, actionable when the machine is not ready."""

import os
import subprocess
import sys

import pytest

SCRIPT = 'tools/setup/setup_env.sh'


def run_setup(repo_root, **env):
    return subprocess.run(
        ['bash', SCRIPT],
        cwd=repo_root,
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_second_setup_is_a_quick_no_op(repo_root):
    venv = os.path.dirname(os.path.dirname(sys.executable))
    if run_setup(repo_root, VENV=venv, MMPCD_SETUP_CHECK='1').returncode == 3:
        # A venv set up from another checkout (a git worktree sharing it): a real setup here
        # would re-point its editable install. `make test` always sets up first.
        pytest.skip(f'{venv} is not set up for {repo_root}; run make setup there')
    result = run_setup(repo_root, VENV=venv)
    assert result.returncode == 0, result.stderr
    assert 'is up to date' in result.stdout


def test_missing_python_is_reported_with_a_fix(repo_root, tmp_path):
    result = run_setup(repo_root, VENV=str(tmp_path / 'venv'), PYTHON='/nonexistent/python3')
    assert result.returncode == 1
    assert "'/nonexistent/python3' was not found" in result.stderr
    assert 'fix: install Python 3.11' in result.stderr


def test_wrong_python_version_is_reported_with_a_fix(repo_root, tmp_path):
    fake = tmp_path / 'python3.8'
    fake.write_text('#!/bin/sh\n[ "$1" = "-V" ] && echo "Python 3.8.18"\nexit 1\n')
    fake.chmod(0o755)
    result = run_setup(repo_root, VENV=str(tmp_path / 'venv'), PYTHON=str(fake))
    assert result.returncode == 1
    assert 'needs Python 3.10-3.12' in result.stderr
    assert 'Python 3.8.18' in result.stderr
    assert not (tmp_path / 'venv').exists()  # nothing was created


def test_missing_compiler_is_reported_with_a_fix(repo_root, tmp_path):
    # a PATH with the tools the script needs, but no C++ compiler
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in ('bash', 'dirname', 'cat', 'sha256sum', 'cut', 'df', 'awk', 'nproc', 'printf'):
        path = subprocess.run(
            ['bash', '-c', f'command -v {tool}'], capture_output=True, text=True
        ).stdout.strip()
        if path.startswith('/'):
            os.symlink(path, bin_dir / tool)
    result = run_setup(
        repo_root, VENV=str(tmp_path / 'venv'), PATH=str(bin_dir), PYTHON=sys.executable
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'no C++ compiler found' in result.stderr
    assert 'build-essential' in result.stderr


def test_unknown_torch_mode_is_rejected(repo_root, tmp_path):
    result = run_setup(repo_root, VENV=str(tmp_path / 'venv'), TORCH='nightly')
    assert result.returncode == 1
    assert 'TORCH=nightly is not understood' in result.stderr


def test_transformers_5_is_refused_even_when_up_to_date(repo_root, tmp_path):
    fake = tmp_path / 'site' / 'transformers'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text("__version__ = '5.0.1'\n")
    venv = os.path.dirname(os.path.dirname(sys.executable))
    result = run_setup(repo_root, VENV=venv, PYTHONPATH=str(tmp_path / 'site'))
    assert result.returncode == 1
    assert 'transformers 5.0.1 is installed' in result.stderr
    assert 'transformers<5' in result.stderr
