"""Training runs that fail for real (issue 13, rows 5, 6, 8, 9 and 10), in subprocesses on the
DenseCL demo config: non-finite losses, a SIGKILL while saving, a truncated latest checkpoint,
a partial last batch, a frozen rank, and bit-exact resumption."""

import glob
import os
import os.path as osp
import signal
import socket
import subprocess
import time

import pytest
import torch

from mmpcd.engine.runners.checkpoint_files import is_whole_checkpoint
from mmpcd.utils.checkpoint import read_checkpoint

# The DenseCL demo config with the (inactive) hooks of tests/data/fault_hooks.py.
DEMO = 'tests/data/configs/densecl_r18_faults_demo.py'
TINY = [
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.dataset.indices=8',
    'model.queue_len=64',
    'default_hooks.logger.interval=1',
]


def _env(**extra) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', **extra)
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    return env


def train(python, repo_root, work_dir, *options, flags=(), check=True):
    cmd = [
        python,
        'tools/train.py',
        DEMO,
        '--work-dir',
        str(work_dir),
        *flags,
        '--cfg-options',
        *TINY,
        *options,
    ]
    result = subprocess.run(
        cmd, cwd=repo_root, env=_env(), capture_output=True, text=True, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f'{cmd} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}')
    return result


def final_state(work_dir) -> dict:
    return read_checkpoint(osp.join(work_dir, 'epoch_2.pth'))['state_dict']


# ---- row 5: non-finite losses ----------------------------------------------------------------


def test_a_diverging_run_stops_and_saves_nothing_poisoned(python, repo_root, tmp_path):
    """main: lr=1e6 trains on with `loss: nan`, rc 0, checkpoints full of NaN."""
    result = train(
        python,
        repo_root,
        tmp_path,
        'optim_wrapper.optimizer.lr=1000000.0',
        'default_hooks.checkpoint.by_epoch=False',
        'default_hooks.checkpoint.interval=1',
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'NonFiniteError: Training stopped at iteration' in output
    assert 'not finite' in output and 'Nothing of this state was saved' in output
    for path in glob.glob(str(tmp_path / '*.pth')):
        state = read_checkpoint(path)['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    if osp.isfile(tmp_path / 'last_checkpoint'):
        last = (tmp_path / 'last_checkpoint').read_text().strip()
        assert osp.isfile(last) and f'the last finite checkpoint is {last}' in output


# ---- row 8: a partial last batch ---------------------------------------------------------------


def test_a_partial_last_batch_enters_the_queues(python, repo_root, tmp_path):
    """main: queue_len=12, 10 images, batches 4-4-2, drop_last=False: `expanded size (2) must
    match (4)` in the second epoch."""
    train(
        python,
        repo_root,
        tmp_path,
        'model.queue_len=12',
        'train_dataloader.dataset.indices=10',
        'train_dataloader.drop_last=False',
        'train_cfg.max_epochs=2',
    )
    state = final_state(tmp_path)
    assert int(state['queue_ptr']) == int(state['queue2_ptr']) == 20 % 12


# ---- rows 6 and 10: a kill while saving, a truncated latest file, bit-exact resumption ------


@pytest.fixture(scope='module')
def straight_run(tmp_path_factory, python, repo_root):
    work_dir = tmp_path_factory.mktemp('straight')
    train(python, repo_root, work_dir, 'train_cfg.max_epochs=2', 'randomness.seed=0')
    return work_dir


def test_a_kill_while_saving_keeps_the_last_checkpoint_and_resume_is_bit_exact(
    straight_run, python, repo_root, tmp_path
):
    """main: with max_keep_ckpts=1 the old checkpoint is deleted before the new one is written
    (non-atomically), so a SIGKILL in the save leaves nothing to resume from; and a resumed
    run redraws the augmentations of the run's start (RNG states are not checkpointed)."""
    options = [
        'train_cfg.max_epochs=2',
        'randomness.seed=0',
        'default_hooks.checkpoint.max_keep_ckpts=1',
    ]
    killed = train(python, repo_root, tmp_path, *options, 'custom_hooks.0.at_save=2', check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:] + killed.stderr[-3000:]
    assert is_whole_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert (tmp_path / 'last_checkpoint').read_text().strip() == str(tmp_path / 'epoch_1.pth')
    assert not osp.exists(tmp_path / 'epoch_2.pth')  # only a temporary file was cut short

    # Also what a non-atomic writer (or a full disk) leaves: a truncated latest checkpoint.
    whole = (tmp_path / 'epoch_1.pth').read_bytes()
    (tmp_path / 'epoch_2.pth').write_bytes(whole[: len(whole) // 3])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    resumed = train(python, repo_root, tmp_path, *options, flags=['--resume'])
    output = resumed.stdout + resumed.stderr
    assert f'{tmp_path / "epoch_2.pth"} is missing, truncated or not a checkpoint' in output
    assert 'resumed epoch: 1, iter: 2' in output
    assert not glob.glob(str(tmp_path / '*.tmp'))
    assert sorted(osp.basename(p) for p in glob.glob(str(tmp_path / '*.pth'))) == [
        'epoch_2.pth'
    ]  # max_keep_ckpts=1, deleted after the new one was written

    expected, actual = final_state(straight_run), final_state(tmp_path)
    assert expected.keys() == actual.keys()
    different = [key for key in expected if not torch.equal(expected[key], actual[key])]
    assert not different, f'the resumed run differs from the straight one in {different[:5]}'


# ---- row 9: a frozen rank ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_a_frozen_rank_ends_the_job_with_a_clear_error(python, repo_root, tmp_path):
    """main: a SIGSTOPped rank leaves the others waiting (no timeout set, gloo's default is
    30 min). Both ranks are started as torchrun would (RANK, WORLD_SIZE, MASTER_*)."""
    port = _free_port()
    cmd = [
        python,
        'tools/train.py',
        DEMO,
        '--work-dir',
        str(tmp_path),
        '--launcher',
        'pytorch',
        '--cfg-options',
        *TINY,
        'train_cfg.max_epochs=1',
        'train_dataloader.dataset.indices=16',  # two iterations per rank
        'custom_hooks.1.rank=1',
        'env_cfg.dist_cfg.timeout=15',
    ]
    ranks = []
    for rank in range(2):
        env = _env(
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            WORLD_SIZE='2',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port),
        )
        ranks.append(
            subprocess.Popen(
                cmd,
                cwd=repo_root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    start = time.time()
    try:
        output, _ = ranks[0].communicate(timeout=300)
        elapsed = time.time() - start
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()  # SIGKILL reaches a stopped process
        ranks[1].communicate()
    assert osp.isfile(tmp_path / 'stopped_rank1.pid'), output[-3000:]
    assert ranks[0].returncode != 0, output[-3000:]
    assert 'A collective operation timed out after 15 s' in output, output[-3000:]
    assert elapsed < 240
