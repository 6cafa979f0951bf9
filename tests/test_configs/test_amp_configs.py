"""Every pre-training config has a working AMP variant: ``tools/train.py --amp`` turns it on,
``--cfg-options optim_wrapper.dtype=bfloat16`` selects bf16, and the configs whose upstream
recipe trains in mixed precision (PixPro's apex O1) have it on already."""

import glob
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script

register_all_modules(init_default_scope=False)

PRETRAIN_CONFIGS = sorted(
    path
    for algo in ('densecl', 'pixpro', 'pixcontrast', 'pcd')
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', algo, '*.py'))
)
# Upstream mixed precision: PixPro's scripts run apex O1 (`--amp-opt-level O1`); PixContrast
# reuses PixPro's recipe. DenseCL (OpenSelfSup) and PCD (allo-rene/pcd) train in fp32.
UPSTREAM_AMP = ('pixpro_', 'pixpro-', 'pixcontrast_')


def train_args(monkeypatch, config: str, *extra: str):
    tool = load_script('tools/train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', config, *extra])
    return tool, tool.parse_args()


@pytest.mark.parametrize(
    'recipe,statement',
    [
        ('pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py', 'apex O1'),
        ('pixcontrast/pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k.py', "PixPro's"),
        ('densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py', 'Upstream trains in fp32'),
        (
            'pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
            'Upstream trains in fp32',
        ),
    ],
)
def test_the_base_recipes_say_whether_upstream_uses_mixed_precision(recipe, statement):
    with open(osp.join(REPO_ROOT, 'configs', recipe)) as f:
        text = f.read()
    assert statement in text and 'optim_wrapper.dtype=' in text


def test_every_pretraining_config_is_found():
    names = {osp.basename(p).split('_')[0] for p in PRETRAIN_CONFIGS}
    assert {'densecl', 'pixpro', 'pixpro-ins', 'pixcontrast', 'pcd'} <= names


@pytest.mark.parametrize('path', PRETRAIN_CONFIGS, ids=osp.basename)
def test_amp_variant_of_every_pretraining_config(monkeypatch, path):
    name = osp.basename(path)
    cfg = Config.fromfile(path)
    upstream_amp = name.startswith(UPSTREAM_AMP) and not name.endswith('_demo.py')
    assert (cfg.optim_wrapper.get('type') == 'AmpOptimWrapper') == upstream_amp
    extra = ['teacher_checkpoint=random'] if name.startswith('pcd') else []
    tool, args = train_args(
        monkeypatch, path, '--amp', '--cfg-options', 'optim_wrapper.dtype=bfloat16', *extra
    )
    merged = tool.merge_args(cfg, args)
    assert merged.optim_wrapper.type == 'AmpOptimWrapper'
    assert merged.optim_wrapper.dtype == 'bfloat16'
    assert merged.optim_wrapper.loss_scale == 'dynamic'


def test_amp_optim_wrapper_trains_a_step_in_bf16(monkeypatch, mmpcd_scope):
    """mmengine's AmpOptimWrapper (what ``--amp`` builds) on the PixPro demo model, bf16:
    its optim_context autocasts the model and the step updates the weights. mmengine allows
    AmpOptimWrapper only where CUDA is available; on the CPU the GradScaler disables itself."""
    from mmengine.optim.optimizer import amp_optimizer_wrapper

    from tests.test_models.test_autocast import narrow_resnets, two_view_batch

    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)
    MessageHub.get_current_instance().update_info('max_iters', 10)
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py')
    )
    cfg.model.data_preprocessor = cfg.data_preprocessor
    narrow_resnets(cfg.model)
    model = MODELS.build(cfg.model).train()
    cfg.optim_wrapper.update(type='AmpOptimWrapper', dtype='bfloat16', loss_scale='dynamic')
    with (
        pytest.warns(UserWarning, match='CUDA is not available'),
        DefaultScope.overwrite_default_scope('mmpcd'),
    ):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    seen = []
    model.ppm.register_forward_hook(
        lambda module, args, out: seen.append(
            (torch.is_autocast_enabled('cpu'), torch.get_autocast_dtype('cpu'))
        )
    )
    weight = model.backbone.conv1.weight
    before = weight.detach().clone()
    log = model.train_step(two_view_batch(), optim_wrapper)
    assert seen == [(True, torch.bfloat16)] * 2  # the PPM ran under bf16 autocast, per view
    assert torch.isfinite(log['loss'])
    assert not torch.equal(before, weight.detach())
