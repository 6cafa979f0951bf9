"""The dense benchmark's preloaded train server: a training forked from it (reading images the
server pregenerated) logs exactly what a fresh ``python tools/train.py`` logs, a failing one
reports its exit code and traceback, and the server keeps serving after it."""

import json
import os
import os.path as osp
import subprocess

import pytest

from tests.conftest import REPO_ROOT, load_script

server_module = load_script('tools/benchmarks/train_server.py')
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def finetune_argv(work_dir) -> list:
    """3 iterations of the benchmark's FCN fine-tune and a 4-image validation."""
    return [
        osp.join(REPO_ROOT, 'demo/configs/fcn_r18-d8_synthetic-seg.py'),
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        'randomness.seed=0',
        'train_cfg.max_iters=3',
        'train_cfg.val_interval=3',
        'param_scheduler.0.end=3',
        'val_dataloader.dataset.num_images=4',
        'default_hooks.checkpoint=None',
        'default_hooks.logger.interval=1',
        'model.backbone.init_cfg=None',
    ]


def logged_scalars(work_dir) -> list:
    """Every scalars.json row of the run in ``work_dir``, without the timings."""
    (run,) = [d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d))]
    with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
        rows = [json.loads(line) for line in f]
    timing = {'time', 'data_time', 'eta', 'memory'}
    return [{k: v for k, v in row.items() if k not in timing} for row in rows]


@pytest.fixture(scope='module')
def server():
    # The fine-tune's 32 training images (its config: seed 0, 64 px).
    server = server_module.TrainServer(
        ENV, pregenerated=[dict(num_images=32, seed=0, img_shape=[64, 64])]
    )
    yield server
    server.close()


def test_a_forked_training_logs_what_a_fresh_process_logs(server, python, tmp_path):
    forked, fresh = tmp_path / 'forked', tmp_path / 'fresh'
    job = server.start(finetune_argv(forked), str(tmp_path / 'forked.out'))
    answer = server.wait(job, timeout=600)
    assert answer['returncode'] == 0, (tmp_path / 'forked.out').read_text()[-3000:]
    assert answer['cpu_seconds'] > 0
    result = subprocess.run(
        [python, 'tools/train.py', *finetune_argv(fresh)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    forked_rows = logged_scalars(forked)
    assert [r['step'] for r in forked_rows] == [1, 2, 3, 3]  # 3 iterations, 1 validation
    assert forked_rows == logged_scalars(fresh)
    assert 'Iter(train) [3/3]' in (tmp_path / 'forked.out').read_text()


def test_a_failing_training_reports_its_exit_code_and_the_server_goes_on(server, tmp_path):
    out = tmp_path / 'failed.out'
    job = server.start(['no_such_config.py'], str(out))
    answer = server.wait(job, timeout=120)
    assert answer['returncode'] not in (0, None)
    assert 'no_such_config.py' in out.read_text()
    argv = finetune_argv(tmp_path / 'after')
    argv[argv.index('train_cfg.max_iters=3')] = 'train_cfg.max_iters=1'
    argv[argv.index('train_cfg.val_interval=3')] = 'train_cfg.val_interval=1'
    argv[argv.index('param_scheduler.0.end=3')] = 'param_scheduler.0.end=1'
    job = server.start(argv, str(tmp_path / 'after.out'))
    assert server.wait(job, timeout=600)['returncode'] == 0
