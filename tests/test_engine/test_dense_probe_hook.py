"""DenseProbeHook: logs the online dense probe and changes nothing of the training itself."""

import json
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from mmpcd.engine import build_runner
from mmpcd.engine.hooks import DenseProbeHook
from mmpcd.engine.hooks.dense_probe_hook import _RNGState
from mmpcd.utils import register_all_modules

CONFIG = 'tests/data/configs/pixpro_r18_synthetic_demo.py'
PROBE = dict(num_train=8, num_val=4, iters=5, batch_size=4)


class RandomDraws(Hook):
    """Draws from the python, numpy and torch generators before every iteration, as dropout,
    augmentations or samplers of other models would."""

    def __init__(self):
        self.draws = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.draws.append((random.random(), float(np.random.rand()), float(torch.rand(1))))


def train(repo_root, work_dir, hooks):
    """Four PixPro iterations (batch 8, 64 px synthetic images) in this process; returns the
    final state dict, the logged losses and the random draws made during training."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(work_dir)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.num_images = 32
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = cfg.custom_hooks + hooks
    runner = build_runner(cfg)
    draws = RandomDraws()
    runner.register_hook(draws)
    runner.train()
    state = {k: v.clone() for k, v in runner.model.state_dict().items()}
    with open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')) as f:
        records = [json.loads(line) for line in f]
    return state, records, draws.draws


@pytest.fixture(scope='module')
def reference(repo_root, tmp_path_factory):
    torch.set_num_threads(1)
    return train(repo_root, tmp_path_factory.mktemp('no_hook'), [])


def probe_hook(**kwargs):
    return dict(type='DenseProbeHook', interval=2, settings=PROBE, **kwargs)


def losses(records):
    return [r['loss'] for r in records if 'loss' in r]


def test_hook_logs_miou_and_changes_no_training_result(reference, repo_root, tmp_path):
    state, records, draws = train(repo_root, tmp_path / 'hook', [probe_hook()])
    probes = [r for r in records if 'dense_probe/mIoU' in r]
    assert [r['step'] for r in probes] == [2, 4]  # every 2 iterations; the last is iter 4
    assert all(
        0 < r['dense_probe/mIoU'] < 100 and 0 < r['dense_probe/pixel_acc'] < 100 for r in probes
    )
    ref_state, ref_records, ref_draws = reference
    assert losses(records) == losses(ref_records) and len(losses(records)) == 4
    assert draws == ref_draws
    assert state.keys() == ref_state.keys()
    assert all(torch.equal(state[k], ref_state[k]) for k in state)  # BN statistics included


def test_without_restoring_the_rng_the_training_would_change(
    reference, repo_root, tmp_path, monkeypatch
):
    """The check above can fail: the probe seeds and draws from torch's generator (head init,
    batch order), which every later draw of the training would feel."""
    monkeypatch.setattr(_RNGState, 'restore', lambda self: None)
    _, _, draws = train(repo_root, tmp_path / 'leaky', [probe_hook()])
    ref_draws = reference[2]
    assert draws[:2] == ref_draws[:2]  # before the first probe (after iteration 2)
    assert [d[2] for d in draws[2:]] != [d[2] for d in ref_draws[2:]]


def test_hook_probes_an_mmseg_style_dataset(repo_root, tmp_path):
    split = dict(type='SyntheticDenseDataset', num_images=6, img_shape=(32, 32))
    hook = probe_hook(train_dataset=dict(split, seed=3), val_dataset=dict(split, seed=4))
    hook['interval'] = 4
    _, records, _ = train(repo_root, tmp_path / 'dataset', [hook])
    assert [r['step'] for r in records if 'dense_probe/mIoU' in r] == [4]


def test_hook_names_what_is_wrong(repo_root, tmp_path):
    with pytest.raises(ValueError, match='both train_dataset and val_dataset'):
        DenseProbeHook(train_dataset=dict(type='SyntheticDenseDataset'))
    with pytest.raises(ValueError, match='interval must be >= 1'):
        DenseProbeHook(interval=0)
    with pytest.raises(AttributeError, match="no 'student' on the path 'student.backbone'"):
        train(repo_root, tmp_path / 'bad', [probe_hook(backbone='student.backbone')])
