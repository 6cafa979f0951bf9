"""The Slurm launchers (with a fake ``srun``) and the op benchmark script (tiny sizes, no
timing assertion: speed targets are read from its ratios, never asserted in tests)."""
import json
import os
import stat
import subprocess

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture
def fake_srun(tmp_path):
    """A ``srun`` on PATH that records its arguments instead of launching anything."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    record = tmp_path / 'srun_args'
    srun = bin_dir / 'srun'
    srun.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}', GPUS='16',
               GPUS_PER_NODE='8', SRUN_ARGS='--quotatype=auto --exclusive')
    return env, record


@pytest.mark.parametrize('script,extra', [
    ('tools/slurm_train.sh', ['work_dirs/x', '--amp']),
    ('tools/slurm_test.sh', ['ckpt.pth', '--out', 'r.pkl']),
])
def test_slurm_launchers_call_srun_with_the_tool(fake_srun, script, extra):
    env, record = fake_srun
    config = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
    subprocess.run(['bash', script, 'gpu', 'job', config, *extra], cwd=REPO_ROOT, env=env,
                   check=True)
    args = record.read_text().split('\n')
    assert args[:2] == ['-p', 'gpu'] and '--job-name=job' in args
    assert '--ntasks=16' in args and '--ntasks-per-node=8' in args and '--gres=gpu:8' in args
    assert '--quotatype=auto' in args and '--exclusive' in args  # SRUN_ARGS split into words
    tool = 'train.py' if 'train' in script else 'test.py'
    assert any(a.endswith(f'tools/{tool}') for a in args)
    assert config in args and '--launcher=slurm' in args and extra[-1] in args


def test_slurm_launcher_usage_error(fake_srun):
    env, _ = fake_srun
    result = subprocess.run(['bash', 'tools/slurm_train.sh', 'gpu'], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2 and 'usage:' in result.stderr


def test_benchmark_ops_runs_and_writes_ratios(python, tmp_path):
    out = tmp_path / 'ops.json'
    subprocess.run([python, 'tools/analysis_tools/benchmark_ops.py', '--device', 'cpu',
                    '--sizes', '7', '--batch', '2', '--channels', '8', '--repeat', '1',
                    '--ops', 'masked_pair_cosine', '--json', str(out)],
                   cwd=REPO_ROOT, check=True, capture_output=True, timeout=300)
    rows = json.loads(out.read_text())['rows']
    assert {(row['op'], row['impl']) for row in rows} == {('masked_pair_cosine', 'pytorch'),
                                                          ('masked_pair_cosine', 'cpu')}
    kernel = next(row for row in rows if row['impl'] == 'cpu')
    assert kernel['speedup'] > 0 and kernel['memory_ratio'] > 0
