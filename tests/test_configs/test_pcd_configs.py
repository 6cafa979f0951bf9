"""PCD configs: the variants differ in what their names say; the MobileNetV3 student builds
and trains against the ResNet-50 teacher; the linear probe reads only the student backbone."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

DEFAULT = 'pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'


def load(repo_root, name):
    return Config.fromfile(osp.join(repo_root, 'configs', 'pcd', name))


def test_default_recipe(repo_root):
    cfg = load(repo_root, DEFAULT)
    assert cfg.teacher_checkpoint is None and cfg.model.teacher.layout == 'mocov3'
    assert cfg.model.pairing == 'same_view' and cfg.model.teacher_bn == 'eval'
    assert cfg.model.queue_len == 65536 and cfg.model.head.temperature == 0.2
    assert cfg.model.teacher.adaptor.channels == (2048, 4096, 256)
    # lr 1.0 x global batch / 256 at 8 x 128; PCDLARS leaves 1-D parameters (BN, biases,
    # LayerNorms) out of weight decay and LARS, the custom keys the MHSA's position tables
    assert cfg.train_dataloader.batch_size * 8 == cfg.auto_scale_lr.base_batch_size == 1024
    assert cfg.optim_wrapper.optimizer.type == 'PCDLARS'
    assert cfg.optim_wrapper.optimizer.lr == 1.0 * 1024 / 256
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-5
    for key in ('pos_embed', 'rel_pos_bias'):
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys[key] == dict(
            decay_mult=0, lars_exclude=True
        )
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end, cosine.begin) == ('LinearLR', 10, 10)
    assert 'end' not in cosine  # it runs to max_epochs
    assert cfg.train_cfg.max_epochs == 100
    crop = cfg.train_dataloader.dataset.pipeline[1].transforms[0][0]
    assert (crop.scale, crop.crop_ratio_range) == (224, (0.08, 1.0))


@pytest.mark.parametrize(
    'prefix, changes',
    [
        ('pcd-nomhsa_', dict(mhsa=None)),
        ('pcd-crossview-grid_', dict(pairing='cross_view_grid')),
        ('pcd-crossview-aligned_', dict(pairing='cross_view_aligned')),
        ('pcd-released_', dict(pairing='cross_view_grid', teacher_bn='train', mhsa=None)),
    ],
)
def test_ablations_change_only_their_knob(repo_root, prefix, changes):
    default = load(repo_root, DEFAULT).model.to_dict()
    variant = load(repo_root, prefix + DEFAULT[len('pcd_') :]).model.to_dict()
    if 'mhsa' in changes:
        default['neck']['mhsa'] = changes.pop('mhsa')
    default.update(changes)
    assert variant == default


def test_every_pcd_config_is_in_the_metafile(repo_root):
    with open(osp.join(repo_root, 'configs', 'pcd', 'metafile.yml')) as f:
        metafile = f.read()
    configs = glob.glob(osp.join(repo_root, 'configs', 'pcd', '**', '*.py'), recursive=True)
    listed = [c for c in configs if 'demo' not in c]
    assert len(listed) == 10
    for config in listed:
        assert osp.relpath(config, repo_root) in metafile


def test_mobilenetv3_student_trains_against_the_resnet50_teacher(repo_root, one_thread):
    register_all_modules()
    cfg = load(repo_root, 'pcd_mobilenetv3-large_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py')
    cfg.model.update(queue_len=64, data_preprocessor=cfg.data_preprocessor)
    cfg.model.teacher.checkpoint = 'random'
    model = MODELS.build(cfg.model).train()
    views = [torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)]
    losses = model.loss(views, [])
    assert torch.isfinite(losses['loss'])
    assert model.neck.projector.fc0.in_channels == 960


def test_linear_probe_loads_only_the_student_backbone(repo_root):
    cfg = load(repo_root, 'benchmarks/resnet18_8xb128-linear-coslr-90e_in1k.py')
    assert cfg.model.backbone.depth == 18 and cfg.model.head.in_channels == 512
    assert cfg.model.backbone.frozen_stages == 4
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='', prefix='backbone.')
    assert cfg.train_cfg.max_epochs == 90 and cfg.optim_wrapper.optimizer.lr == 0.4


def test_mobilenetv3_student_has_torchs_batchnorm_defaults(repo_root):
    """Row 9 of issue 16: the official MobileNetV3 uses nn.BatchNorm2d(), not mmpretrain's
    eps 1e-3 / momentum 0.01."""
    register_all_modules()
    cfg = load(repo_root, 'pcd_mobilenetv3-large_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py')
    backbone = MODELS.build(cfg.model.backbone)
    norms = [m for m in backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all((m.eps, m.momentum) == (1e-5, 0.1) for m in norms)
