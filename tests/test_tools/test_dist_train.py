"""tools/dist_train.sh with two gloo processes on the CPU."""

import glob
import json
import os.path as osp
import socket
import subprocess

from tests.conftest import fresh_shell_env

CONFIG = 'tests/data/configs/densecl_r18_dist-marker_demo.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_runs_two_ranks_and_writes_one_checkpoint(tmp_path, python, repo_root):
    # From a fresh shell: the launcher finds the repository's .venv itself.
    env = fresh_shell_env(repo_root, PORT=str(free_port()), OMP_NUM_THREADS='1')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path)],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    markers = []
    for rank in (0, 1):
        with open(tmp_path / f'rank{rank}.json') as f:
            markers.append(json.load(f))
    assert [m['world_size'] for m in markers] == [2, 2]
    # 16 images, 8 per rank, batches of 4
    assert [m['iters'] for m in markers] == [2, 2]
    # DDP kept the replicas identical
    assert abs(markers[0]['checksum'] - markers[1]['checksum']) < 1e-6 * abs(markers[0]['checksum'])
    # only rank 0 saves
    assert sorted(osp.basename(p) for p in glob.glob(str(tmp_path / '*.pth'))) == ['epoch_1.pth']
