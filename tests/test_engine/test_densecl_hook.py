"""DenseCL's lambda warm-up: mmpretrain's DenseCLHook, also under its former mmpcd name."""

import socket
from types import SimpleNamespace
from typing import List

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.hooks import Hook
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import Runner
from mmpretrain.engine.hooks import DenseCLHook
from mmpretrain.structures import DataSample
from torch import nn
from torch.utils.data import Dataset

from mmpcd.registry import HOOKS, MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)


pytestmark = pytest.mark.usefixtures('one_thread', 'mmpcd_scope')


def _densecl(loss_lambda: float = 0.5) -> nn.Module:
    return MODELS.build(
        dict(
            type='DenseCL',
            backbone=dict(
                type='ResNet', depth=18, stem_channels=8, base_channels=8, out_indices=(3,)
            ),
            neck=dict(type='DenseProjection', in_channels=64, hid_channels=32, out_channels=8),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
            queue_len=8,
            feat_dim=8,
            loss_lambda=loss_lambda,
        )
    )


class _TwoViews(Dataset):
    """Two random 32 px views per sample, already in the packed ``PackInputs`` layout."""

    def __len__(self) -> int:
        return 16

    def __getitem__(self, idx: int) -> dict:
        g = torch.Generator().manual_seed(idx)
        return dict(
            inputs=[torch.rand(3, 32, 32, generator=g) * 255 for _ in range(2)],
            data_samples=DataSample(),
        )


class _Recorder(Hook):
    """Runs after the warm-up hook (lower priority): what each iteration trained with."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.lambdas: List[float] = []
        self.dense: List[float] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.lambdas.append(runner.model.loss_lambda)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.dense.append(outputs['loss_dense'].item())


def test_warmup_in_a_real_runner(tmp_path):
    torch.manual_seed(0)
    recorder = _Recorder()
    runner = Runner(
        model=_densecl(loss_lambda=0.5),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=_TwoViews(),
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
        ),
        train_cfg=dict(by_epoch=False, max_iters=5),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='DenseCLHook', start_iters=3), recorder],
        default_hooks=dict(checkpoint=None),
        default_scope='mmpcd',
        log_level='WARNING',
    )
    runner.train()
    assert recorder.lambdas == [0.0, 0.0, 0.0, 0.5, 0.5]
    # The dense loss is weighted by lambda: off during the warm-up, on afterwards.
    assert recorder.dense[:3] == [0.0, 0.0, 0.0]
    assert all(d > 0 for d in recorder.dense[3:])
    assert runner.model.loss_lambda == 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def gloo_group():
    """A single-process gloo group, enough to build a real DDP wrapper on CPU."""
    torch_dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{_free_port()}', rank=0, world_size=1
    )
    yield
    torch_dist.destroy_process_group()


def test_warmup_sets_lambda_on_the_model_inside_a_ddp_wrapper(gloo_group):
    model = _densecl(loss_lambda=0.7)
    runner = SimpleNamespace(model=MMDistributedDataParallel(module=model), iter=0)
    hook = HOOKS.build(dict(type='DenseCLWarmupHook', start_iters=2))  # the former name
    assert type(hook) is DenseCLHook
    hook.before_train(runner)
    seen = []
    for it in range(4):
        runner.iter = it
        hook.before_train_iter(runner, batch_idx=it)
        seen.append(model.loss_lambda)
    assert seen == [0.0, 0.0, 0.7, 0.7]


def test_zero_start_iters_keeps_the_configured_lambda():
    model = _densecl(loss_lambda=0.3)
    runner = SimpleNamespace(model=model, iter=0)
    hook = DenseCLHook(start_iters=0)
    hook.before_train(runner)
    hook.before_train_iter(runner, batch_idx=0)
    assert model.loss_lambda == 0.3


def test_rejects_models_without_loss_lambda():
    with pytest.raises(AssertionError, match='loss_lambda'):
        HOOKS.build(dict(type='DenseCLHook')).before_train(
            SimpleNamespace(model=nn.Linear(2, 2), iter=0)
        )
