"""tools/test.py and tools/dist_test.sh on a config with a real test loop (mmseg on the
synthetic dataset, in the mmpcd scope)."""

import os
import os.path as osp
import pickle
import re
import socket
import subprocess

import pytest

from tests.conftest import fresh_shell_env

CONFIG = 'tests/data/configs/fcn_r18_synthetic-seg.py'


def run(cmd, cwd, **env):
    result = subprocess.run(
        cmd, cwd=cwd, env=dict(os.environ, **env), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, python, repo_root):
    work_dir = tmp_path_factory.mktemp('seg')
    run([python, 'tools/train.py', CONFIG, '--work-dir', str(work_dir)], repo_root)
    path = work_dir / 'iter_4.pth'
    assert path.is_file()
    return path


def test_test_tool_reports_miou_and_dumps_predictions(checkpoint, python, repo_root, tmp_path):
    out = tmp_path / 'preds.pkl'
    result = run(
        [
            python,
            'tools/test.py',
            CONFIG,
            str(checkpoint),
            '--work-dir',
            str(tmp_path),
            '--out',
            str(out),
        ],
        repo_root,
    )
    assert re.search(r'\[mmpcd\] metrics: aAcc: [\d.]+, mIoU: [\d.]+, mAcc: [\d.]+', result.stdout)
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 8  # one per test image
    assert predictions[0]['pred_sem_seg']['data'].shape[-2:] == (64, 64)


def test_dist_test_with_two_gloo_processes(checkpoint, python, repo_root, tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    # From a fresh shell: the launcher finds the repository's .venv itself.
    result = subprocess.run(
        ['bash', 'tools/dist_test.sh', CONFIG, str(checkpoint), '2', '--work-dir', str(tmp_path)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=600,
        env=fresh_shell_env(repo_root, PORT=str(port), OMP_NUM_THREADS='1'),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (
        len(re.findall(r'\[mmpcd\] metrics: aAcc: [\d.]+, mIoU: [\d.]+', result.stdout)) == 1
    )  # said once, by rank 0
    logs = [osp.join(dp, f) for dp, _, fs in os.walk(tmp_path) for f in fs if f.endswith('.log')]
    assert any('Epoch(test) [2/2]' in open(p).read() for p in logs)  # 8 images, 2 ranks, batch 2


def test_test_tool_rejects_a_bad_out_file(checkpoint, python, repo_root):
    result = subprocess.run(
        [python, 'tools/test.py', CONFIG, str(checkpoint), '--out', 'x.json'],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert '--out must be a .pkl or .pickle file' in result.stderr
