"""``tools/train.py CONFIG --smoke-test`` on the configs of configs/ and projects/maskd/configs/:
the model as configured, a few fp32 iterations on the CPU, embedded or synthetic data, random
teachers, no network.

By default one config per kind of run (pre-training with a teacher, mmseg transfer, mmpretrain
linear benchmark, MasKD stage 1 and 2) runs; ``pytest -m full_sweep`` runs every other config
(16 s to about 2 minutes each on 2 cores).
"""

import glob
import os
import os.path as osp
import subprocess

import pytest

from tests.conftest import REPO_ROOT

REPRESENTATIVE = {
    'configs/pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
    'configs/benchmarks/mmsegmentation/cityscapes/fcn_r18-d8_4xb2-40k_cityscapes-769x769.py',
    'configs/benchmarks/mmpretrain/resnet18_8xb32-linear-steplr-100e_in1k.py',
    'projects/maskd/configs/maskd-tokens_deeplabv3_r101-d8_8xb2-10k_cityscapes-512x1024.py',
    'projects/maskd/configs/'
    'maskd_logits_deeplabv3_r101_deeplabv3_r18_8xb2-40k_cityscapes-512x1024.py',
}


def _all_configs():
    found = []
    for pattern in ('configs/**/*.py', 'projects/maskd/configs/*.py'):
        found += [
            osp.relpath(p, REPO_ROOT)
            for p in glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)
            if '/_base_/' not in p
        ]
    return sorted(found)


CONFIGS = _all_configs()


def _param(config):
    marks = () if config in REPRESENTATIVE else (pytest.mark.full_sweep,)
    return pytest.param(config, marks=marks, id=osp.basename(config))


def test_the_representative_subset_exists():
    assert REPRESENTATIVE <= set(CONFIGS) and len(CONFIGS) > 40


@pytest.mark.parametrize('config', [_param(c) for c in CONFIGS])
def test_smoke_test(config, tmp_path, python):
    work_dir = tmp_path / 'work'
    # Any download would go through the unreachable proxy and fail the run.
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        MMPCD_CACHE_DIR=str(tmp_path / 'cache'),
        http_proxy='http://127.0.0.1:9',
        https_proxy='http://127.0.0.1:9',
        TORCH_HOME=str(tmp_path / 'torch'),
    )
    result = subprocess.run(
        [python, 'tools/train.py', config, '--smoke-test', '--work-dir', str(work_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert '[2/2]' in output  # two iterations
    assert glob.glob(str(work_dir / '*.pth'))  # and a checkpoint
    assert not glob.glob(str(tmp_path / 'cache' / '**' / '*.pth'), recursive=True)
    assert not osp.exists(tmp_path / 'torch')  # nothing downloaded through torch.hub either


SMALL_CONFIGS = [c for c in CONFIGS if c.startswith('configs/benchmarks/small/')]


@pytest.mark.parametrize('config', SMALL_CONFIGS, ids=osp.basename)
def test_schedules_in_fractions_of_an_epoch_survive_the_shortening(config, tmp_path):
    """The small benchmark configs compress their schedule into fractions of one epoch; in the
    smoke test's 2-iteration epoch these round to ``end=0``, which mmengine refuses. Every
    scheduler must build, span at least one iteration and keep its order."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import PARAM_SCHEDULERS

    from mmpcd.engine.runners.smoke_test import ITERS, smoke_test_config

    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.work_dir = str(tmp_path)
    schedulers = smoke_test_config(cfg).param_scheduler
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    begins = []
    for scheduler in schedulers:
        built = PARAM_SCHEDULERS.build(dict(scheduler), default_args=dict(optimizer=optimizer))
        assert not built.by_epoch and built.end > built.begin >= 0
        begins.append(built.begin)
    assert begins == sorted(begins) and all(begin < ITERS for begin in begins)
